using System.Globalization;

namespace MarlEdge.Trainer.Cli;

/// <summary>
/// <c>--set Name=value,Name=value</c>: learner settings changed by name. Each settings type is a positional record;
/// <see cref="Apply{T}"/> rebuilds one through its constructor with the named parameters replaced and consumes them,
/// so whatever is left over afterwards names no setting and can be refused.
/// </summary>
public static class SettingOverrides
{
    public static Dictionary<string, string> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return new(StringComparer.OrdinalIgnoreCase);
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : throw new UsageException($"--set expects Name=value, got '{p[0]}'"), StringComparer.OrdinalIgnoreCase);
    }

    public static T Apply<T>(T record, Dictionary<string, string> pending) where T : notnull
    {
        var ctor = typeof(T).GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p =>
        {
            object? value = typeof(T).GetProperty(p.Name!)!.GetValue(record);
            var key = pending.Keys.FirstOrDefault(k => string.Equals(k, p.Name, StringComparison.OrdinalIgnoreCase));
            if (key is null) return value;
            string text = pending[key];
            pending.Remove(key);
            try { return Convert.ChangeType(text, p.ParameterType, CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                throw new UsageException($"--set {p.Name}: '{text}' is not a valid {p.ParameterType.Name}");
            }
        }).ToArray();
        return (T)ctor.Invoke(args);
    }
}
