using System.Text;

namespace MarlEdge.Shared.IO;

/// <summary>Writes files so that a crash at any moment leaves either the old file or the new one: temp file, fsync, rename.</summary>
public static class AtomicFile
{
    /// <param name="unixMode">the file's permissions from the moment it exists (for secrets such as private keys); the umask applies otherwise</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, UnixFileMode? unixMode = null)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (unixMode is { } mode && !OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using (var fs = new FileStream(tmp, options))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
            SyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text, UnixFileMode? unixMode = null) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text), unixMode);

    /// <summary>
    /// Replaces folder <paramref name="dir"/> by one that <paramref name="fill"/> writes into a fresh sibling (dir.tmp), renamed
    /// into place once whole; a crash leaves the old folder, no folder, or a stale dir.tmp that the next call drops.
    /// </summary>
    public static void ReplaceDirectory(string dir, Action<string> fill)
    {
        string fresh = dir + ".tmp";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
        fill(fresh);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(fresh, dir);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(dir))!);
    }

    /// <summary>Makes a rename (or a new file) in the folder itself durable: fsync of the directory, on Unix.</summary>
    public static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Libc.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        Libc.fsync(fd);
        Libc.close(fd);
    }

    static class Libc
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int open(string path, int flags);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int fsync(int fd);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    }
}
