namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>Finds the sumo executable: $SUMO_BINARY, then $SUMO_HOME/bin/sumo, then sumo on PATH.</summary>
public static class SumoBinary
{
    public const string InstallHint = "install it with `sudo apt-get install sumo` (Debian/Ubuntu) or set SUMO_BINARY to the sumo executable";

    public static string Locate(string? explicitPath = null)
    {
        string? candidate = explicitPath ?? Environment.GetEnvironmentVariable("SUMO_BINARY");
        if (!string.IsNullOrEmpty(candidate))
        {
            if (File.Exists(candidate)) return candidate;
            throw new SumoNotInstalledException($"SUMO not found: '{candidate}' does not exist; {InstallHint}");
        }
        string? home = Environment.GetEnvironmentVariable("SUMO_HOME");
        if (!string.IsNullOrEmpty(home) && File.Exists(Path.Combine(home, "bin", "sumo"))) return Path.Combine(home, "bin", "sumo");
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(dir, "sumo");
            if (File.Exists(path)) return path;
        }
        throw new SumoNotInstalledException($"SUMO not found (no 'sumo' on PATH); {InstallHint}");
    }

    /// <summary>A sibling tool of sumo, such as netgenerate, from the same installation.</summary>
    public static string LocateTool(string tool, string? sumoPath = null)
    {
        string sumo = sumoPath ?? Locate();
        string sibling = Path.Combine(Path.GetDirectoryName(sumo)!, tool);
        if (File.Exists(sibling)) return sibling;
        throw new SumoNotInstalledException($"SUMO tool '{tool}' not found next to {sumo}; {InstallHint}");
    }
}
