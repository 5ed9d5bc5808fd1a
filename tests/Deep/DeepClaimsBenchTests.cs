using MarlEdge.Trainer.Deep.Bench;
using Xunit;

namespace MarlEdge.Tests.Deep;

/// <summary>`marl bench deep-claims --only`: the sections it runs (no training here; the bench itself is not a unit test).</summary>
public class DeepClaimsBenchTests
{
    [Fact]
    public void OnlyKeepsTheJobsOfTheNamedSections()
    {
        var all = new DeepClaimsBench(quick: true, threads: 1, log: _ => { }).Jobs();
        var some = new DeepClaimsBench(quick: true, threads: 1, log: _ => { }, only: new HashSet<string> { "lstage", "random-sg" }).Jobs();
        Assert.Equal(["diff-dpo", "diff-i2q", "lstage", "random-sg"], all.Select(j => j.Section).Distinct().Order());
        Assert.Equal(["lstage", "random-sg"], some.Select(j => j.Section).Distinct().Order());
        Assert.Equal(all.Count(j => j.Section is "lstage" or "random-sg"), some.Count);
        // The learners compared in the lstage row share one budget and one setting.
        var lstage = some.Where(j => j.Section == "lstage").ToList();
        Assert.Equal(["i2q", "iql", "ma2ql"], lstage.Select(j => j.Algo).Distinct().Order());
        Assert.Single(lstage.Select(j => (j.Steps, j.Set)).Distinct());
    }

    [Fact]
    public void AnUnknownSectionIsRefusedInOneLine()
    {
        var error = new StringWriter();
        var stderr = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(2, Trainer.Program.Main(["bench", "deep-claims", "--only", "lstage,nope"])); }
        finally { Console.SetError(stderr); }
        Assert.Contains("unknown section 'nope'", error.ToString());
        Assert.Single(error.ToString().Trim().Split('\n'));
    }
}
