using MarlEdge.Shared.IO;
using ScottPlot;

namespace MarlEdge.Trainer.Runs;

/// <summary>Draws learning curves with ScottPlot and writes them as PNG, atomically.</summary>
public static class CurvePlot
{
    /// <param name="categories">when given, the x values are indices into these labels and points are drawn as markers</param>
    public static void Write(string path, string title, string xLabel, string yLabel, IEnumerable<(string Label, double[] X, double[] Y)> series,
        string[]? categories = null)
    {
        var plot = new Plot();
        foreach (var (label, x, y) in series)
        {
            var line = plot.Add.Scatter(x, y);
            line.LegendText = label;
            line.LineWidth = categories is null ? 2 : 0;
            line.MarkerSize = categories is null ? 0 : 11;
        }
        if (categories is not null)
        {
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Length).Select(i => (double)i).ToArray(), categories);
            plot.Axes.SetLimitsX(-0.5, categories.Length - 0.5);
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (categories is null) plot.ShowLegend(Edge.Right);   // outside: a falling curve ends in the lower right, under an inside legend
        else plot.ShowLegend(Alignment.LowerLeft);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(categories is null ? 1100 : 900, 520, ImageFormat.Png));
    }
}
