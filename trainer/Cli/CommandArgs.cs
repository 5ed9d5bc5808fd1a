using System.Globalization;

namespace MarlEdge.Trainer.Cli;

/// <summary>
/// The options of one command: <c>--name value</c> pairs and bare <c>--flags</c>. Every option read is recorded, and
/// <see cref="RejectUnknown"/> refuses the rest so a misspelt option is never ignored.
/// </summary>
public sealed class CommandArgs
{
    readonly Dictionary<string, string?> _options = new();
    readonly HashSet<string> _read = new();
    public IReadOnlyList<string> Positional { get; }

    public CommandArgs(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var positional = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) { positional.Add(a); continue; }
            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            else if (name != "help" && !flags.Contains(name))
            {
                if (i + 1 >= list.Count) throw new UsageException($"option --{name} needs a value");
                value = list[++i];
            }
            _options[name] = value;
        }
        Positional = positional;
    }

    public bool Help => _options.ContainsKey("help");

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string RequiredString(string name) => String(name) ?? throw new UsageException($"missing required option --{name}");

    public long Long(string name, long fallback, long min = long.MinValue)
    {
        string? v = String(name);
        if (v is null) return fallback;
        if (!long.TryParse(v.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long x))
            throw new UsageException($"--{name} must be an integer, got '{v}'");
        if (x < min) throw new UsageException($"--{name} must be at least {min}, got {x}");
        return x;
    }

    public int Int(string name, int fallback, int min = int.MinValue) => checked((int)Long(name, fallback, min));

    public double Double(string name, double fallback)
    {
        string? v = String(name);
        if (v is null) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x)
            ? x : throw new UsageException($"--{name} must be a number, got '{v}'");
    }

    public void RejectUnknown()
    {
        foreach (var k in _options.Keys)
            if (k != "help" && !_read.Contains(k)) throw new UsageException($"unknown option --{k}");
    }
}
