using System.Diagnostics;

namespace MarlEdge.Trainer.Export;

/// <summary>The project's git commit, for the bundle manifest: `git rev-parse HEAD` where the trainer runs, or null without git.</summary>
public static class ProjectCommit
{
    public static string? Find()
    {
        foreach (var dir in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            try
            {
                using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
                {
                    WorkingDirectory = dir,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (git is null) continue;
                string output = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                if (git.ExitCode == 0 && output.Length == 40) return output;
            }
            catch (System.ComponentModel.Win32Exception) { return null; } // no git installed
        }
        return null;
    }
}
