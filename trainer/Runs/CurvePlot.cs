using MarlEdge.Shared.IO;
using ScottPlot;

namespace MarlEdge.Trainer.Runs;

/// <summary>Draws learning curves with ScottPlot and writes them as PNG, atomically.</summary>
public static class CurvePlot
{
    public static void Write(string path, string title, string xLabel, string yLabel, IEnumerable<(string Label, double[] X, double[] Y)> series)
    {
        var plot = new Plot();
        foreach (var (label, x, y) in series)
        {
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = label;
            line.LineWidth = 2;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 520, ImageFormat.Png));
    }
}
