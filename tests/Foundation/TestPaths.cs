namespace MarlEdge.Tests.Foundation;

/// <summary>Where the repository and the material beside it (../shared) are, from the test binary.</summary>
public static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MarlEdge.sln"))) return dir.FullName;
            throw new InvalidOperationException("MarlEdge.sln not found above the test binary");
        }
    }

    /// <summary>../shared/games beside the repo: the game files handed to the project.</summary>
    public static string SharedGames => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "games"));

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "marledge-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
