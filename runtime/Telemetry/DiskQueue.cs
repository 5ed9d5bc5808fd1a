using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MarlEdge.Runtime.Telemetry;

/// <summary>One queued message: its topic, payload and when it was made (unix ms).</summary>
public sealed record QueuedMessage(long Id, string Topic, byte[] Payload, long CreatedUnixMs);

/// <summary>
/// A bounded store-and-forward queue on disk: one file per message (<c>NNNNNNNNNNNN.msg</c>), written to a temp name, fsynced,
/// renamed into place and the folder fsynced, so a message is durable once <see cref="Enqueue"/> returns and a power cut leaves
/// whole messages only. It survives restarts (the folder is scanned on open), drops the oldest past its capacity and counts the
/// drops, and hands out messages oldest first; a message is removed only after it was delivered. Only the telemetry thread
/// writes it: the control loop never touches the disk. The fsyncs run outside the lock, so the sender is not held up by them.
/// </summary>
public sealed class DiskQueue
{
    readonly string _dir;
    readonly int _capacity;
    readonly SortedSet<long> _ids = [];
    readonly Lock _lock = new();
    long _nextId;
    public long Dropped { get; private set; }
    public long Enqueued { get; private set; }

    public DiskQueue(string dir, int capacity)
    {
        _dir = dir;
        _capacity = capacity;
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(dir, "*.tmp")) File.Delete(f);
        foreach (var f in Directory.EnumerateFiles(dir, "*.msg"))
            if (long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out long id)) _ids.Add(id);
        _nextId = _ids.Count == 0 ? 1 : _ids.Max + 1;
        string droppedFile = Path.Combine(dir, "dropped");
        if (File.Exists(droppedFile) && long.TryParse(File.ReadAllText(droppedFile), out long d)) Dropped = d;
    }

    public int Count { get { lock (_lock) return _ids.Count; } }

    string PathOf(long id) => Path.Combine(_dir, id.ToString("D12", CultureInfo.InvariantCulture) + ".msg");

    public void Enqueue(string topic, byte[] payload, long createdUnixMs)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var buf = new byte[4 + topicBytes.Length + 8 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buf, topicBytes.Length);
        topicBytes.CopyTo(buf, 4);
        BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(4 + topicBytes.Length), createdUnixMs);
        payload.CopyTo(buf, 12 + topicBytes.Length);
        long id;
        lock (_lock) id = _nextId++;
        string path = PathOf(id), tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(buf);
            fs.Flush(flushToDisk: true);            // the bytes are on disk before the name points at them
        }
        File.Move(tmp, path, overwrite: true);
        Shared.IO.AtomicFile.SyncDirectory(_dir);   // and the rename itself survives a power cut
        lock (_lock)
        {
            _ids.Add(id);
            Enqueued++;
            bool dropped = false;
            while (_ids.Count > _capacity)
            {
                long oldest = _ids.Min;
                _ids.Remove(oldest);
                TryDelete(PathOf(oldest));
                Dropped++;
                dropped = true;
            }
            if (dropped) Shared.IO.AtomicFile.WriteAllText(Path.Combine(_dir, "dropped"), Dropped.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The oldest message, or null when empty. It stays queued until <see cref="Remove"/>.</summary>
    public QueuedMessage? Peek()
    {
        lock (_lock)
        {
            while (_ids.Count > 0)
            {
                long id = _ids.Min;
                try
                {
                    var buf = File.ReadAllBytes(PathOf(id));
                    int tl = BinaryPrimitives.ReadInt32LittleEndian(buf);
                    string topic = Encoding.UTF8.GetString(buf, 4, tl);
                    long created = BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(4 + tl));
                    return new QueuedMessage(id, topic, buf[(12 + tl)..], created);
                }
                catch (Exception e) when (e is IOException or ArgumentException)
                {
                    _ids.Remove(id); // unreadable: drop it rather than block the queue forever
                    TryDelete(PathOf(id));
                    Dropped++;
                }
            }
            return null;
        }
    }

    public void Remove(long id)
    {
        lock (_lock)
        {
            if (_ids.Remove(id)) TryDelete(PathOf(id));
        }
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
