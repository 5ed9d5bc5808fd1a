using System.Xml;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// A scenario resolved from a spec <c>sumo:PATH[,key=value...]</c>, where PATH is
/// <list type="bullet">
/// <item>a folder in RESCO's layout: one *.net.xml and one or more *.rou.xml (pick one with <c>route=NAME</c>;
/// without it, the folder's only .sumocfg, else its only route file, else the config's default route);</item>
/// <item>a .sumocfg file (its net-file and route-files are used);</item>
/// <item><c>NET.net.xml+ROUTES.rou.xml</c> (several route files joined with '+').</item>
/// </list>
/// Settings come from trainer/Sumo/Scenarios/NAME.json (NAME: the folder, or the net file without .net.xml), else
/// default.json, else <c>config=FILE</c> when given; then the spec's own overrides.
/// </summary>
public sealed record SumoScenario(string Name, string NetFile, IReadOnlyList<string> RouteFiles, SumoScenarioConfig Config, string Spec)
{
    public const string Prefix = "sumo:";

    public static bool IsSumoSpec(string spec) => spec.StartsWith(Prefix, StringComparison.Ordinal);

    public static SumoScenario Resolve(string spec)
    {
        if (!IsSumoSpec(spec)) throw new SumoException($"env '{spec}' is not a sumo: spec");
        var parts = spec[Prefix.Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new SumoException($"env '{spec}': missing the scenario path (sumo:<folder | .sumocfg | net.xml+rou.xml>)");
        string path = parts[0];
        var overrides = new List<(string Key, string Value)>();
        foreach (string part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new SumoException($"env '{spec}': expected key=value, got '{part}'");
            overrides.Add((part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        string name = ScenarioName(path);
        string? configFile = overrides.Where(o => o.Key == "config").Select(o => o.Value).LastOrDefault();
        var config = configFile is not null ? SumoScenarioConfig.Load(configFile) : ScenarioConfigLibrary.For(name);
        foreach (var (key, value) in overrides)
        {
            if (key == "config") continue;
            if (!config.TryOverride(key, value, out config)) throw new SumoException($"env '{spec}': unknown option '{key}'");
        }
        var overridden = overrides.Where(o => o.Key != "config").Select(o => $"{o.Key}={o.Value}").ToList();
        if (overridden.Count > 0)   // config.json records the description beside the values: say which of them the spec changed
            config = config with { Description = $"{config.Description}; overridden in the spec: {string.Join(", ", overridden)}" };
        config.Validate($"env '{spec}'");

        var (net, routes) = Files(path, config.Route, spec);
        return new SumoScenario(name, net, routes, config, spec);
    }

    static string ScenarioName(string path)
    {
        if (Directory.Exists(path)) return Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        string first = path.Split('+')[0];
        string file = Path.GetFileName(first);
        foreach (string suffix in new[] { ".net.xml.gz", ".net.xml", ".sumocfg" })
            if (file.EndsWith(suffix, StringComparison.Ordinal)) return file[..^suffix.Length];
        return file;
    }

    static (string Net, IReadOnlyList<string> Routes) Files(string path, string? route, string spec)
    {
        if (Directory.Exists(path)) return FromFolder(path, route, spec);
        if (path.EndsWith(".sumocfg", StringComparison.Ordinal)) return FromSumoConfig(path, route);
        var pieces = path.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (pieces.Length >= 2)
        {
            foreach (string p in pieces) MustExist(p);
            return (Path.GetFullPath(pieces[0]), pieces.Skip(1).Select(Path.GetFullPath).ToList());
        }
        throw new SumoException($"env '{spec}': '{path}' is not a folder, a .sumocfg or NET.net.xml+ROUTES.rou.xml");
    }

    static (string, IReadOnlyList<string>) FromFolder(string folder, string? route, string spec)
    {
        var nets = Directory.GetFiles(folder, "*.net.xml").Order(StringComparer.Ordinal).ToList();
        if (nets.Count != 1)
            throw new SumoException($"folder {folder} must hold exactly one *.net.xml, found {nets.Count}");
        var routes = Directory.GetFiles(folder, "*.rou.xml").Order(StringComparer.Ordinal).ToList();
        if (route is not null)
        {
            string wanted = Path.Combine(folder, route.EndsWith(".rou.xml", StringComparison.Ordinal) ? route : route + ".rou.xml");
            if (!File.Exists(wanted))
                throw new SumoException($"route '{route}' not found in {folder} (route files: {string.Join(", ", routes.Select(RouteName))})");
            return (Path.GetFullPath(nets[0]), [Path.GetFullPath(wanted)]);
        }
        var configs = Directory.GetFiles(folder, "*.sumocfg");
        if (configs.Length == 1) return FromSumoConfig(configs[0], null);
        if (routes.Count == 1) return (Path.GetFullPath(nets[0]), [Path.GetFullPath(routes[0])]);
        if (routes.Count == 0) throw new SumoException($"folder {folder} holds no *.rou.xml route file");
        throw new SumoException($"folder {folder} holds {routes.Count} route files; pick one with {spec.Split(',')[0]},route=NAME (one of {string.Join(", ", routes.Select(RouteName))})");
    }

    static string RouteName(string file) => Path.GetFileName(file)[..^".rou.xml".Length];

    static (string, IReadOnlyList<string>) FromSumoConfig(string cfg, string? route)
    {
        MustExist(cfg);
        string dir = Path.GetDirectoryName(Path.GetFullPath(cfg))!;
        string? net = null, routes = null;
        try
        {
            using var reader = XmlReader.Create(cfg, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element) continue;
                if (reader.Name == "net-file") net = reader.GetAttribute("value");
                if (reader.Name == "route-files") routes = reader.GetAttribute("value");
            }
        }
        catch (XmlException e)
        {
            throw new SumoException($"{cfg} is not valid XML: {e.Message}");
        }
        if (net is null) throw new SumoException($"{cfg} names no <net-file>");
        string netPath = Path.GetFullPath(Path.Combine(dir, net));
        MustExist(netPath);
        if (route is not null)
        {
            string wanted = Path.Combine(dir, route.EndsWith(".rou.xml", StringComparison.Ordinal) ? route : route + ".rou.xml");
            MustExist(wanted);
            return (netPath, [Path.GetFullPath(wanted)]);
        }
        if (routes is null) throw new SumoException($"{cfg} names no <route-files>");
        var list = routes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => Path.GetFullPath(Path.Combine(dir, r))).ToList();
        foreach (string r in list) MustExist(r);
        return (netPath, list);
    }

    static void MustExist(string file)
    {
        if (!File.Exists(file)) throw new SumoException($"file not found: {file}");
    }
}

/// <summary>
/// The scenario configs of trainer/Sumo/Scenarios, found by walking up from the program's folder (a build inside the
/// repository reads the sources' files), else the copies the build puts next to the program in Sumo/Scenarios/ (a copied or
/// published trainer: without them grid4x4 would silently run on the built-in defaults).
/// </summary>
public static class ScenarioConfigLibrary
{
    static readonly Lazy<string?> Folder = new(FindFolder);

    public static string? Directory => Folder.Value;

    /// <summary>NAME.json if it exists, else default.json, else the built-in defaults (RESCO's settings).</summary>
    public static SumoScenarioConfig For(string name)
    {
        if (Folder.Value is null) return new SumoScenarioConfig();
        string specific = Path.Combine(Folder.Value, name + ".json");
        if (File.Exists(specific)) return SumoScenarioConfig.Load(specific);
        string fallback = Path.Combine(Folder.Value, "default.json");
        return File.Exists(fallback) ? SumoScenarioConfig.Load(fallback) : new SumoScenarioConfig();
    }

    static string? FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "trainer", "Sumo", "Scenarios");
            if (System.IO.Directory.Exists(candidate)) return candidate;
        }
        string shipped = Path.Combine(AppContext.BaseDirectory, "Sumo", "Scenarios");
        return System.IO.Directory.Exists(shipped) ? shipped : null;
    }
}
