using Xunit;
using MarlEdge.Trainer.Sumo;

namespace MarlEdge.Tests.Sumo;

public sealed class TripInfoMetricsTests
{
    [Fact]
    public void Averages_come_from_completed_trips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tripinfo-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, """
            <tripinfos>
                <tripinfo id="a" depart="0.00" arrival="50.00" duration="50.00" waitingTime="10.00" timeLoss="20.00" departDelay="1.00"/>
                <tripinfo id="b" depart="5.00" arrival="95.00" duration="90.00" waitingTime="0.00" timeLoss="4.00" departDelay="3.00"/>
            </tripinfos>
            """);
        try
        {
            var m = TripInfoMetrics.Read(path);
            Assert.Equal(2, m.Throughput);
            Assert.Equal(12.0, m.AvgDelay, 9);
            Assert.Equal(70.0, m.AvgTripTime, 9);
            Assert.Equal(5.0, m.AvgWait, 9);
            Assert.Equal(2.0, m.AvgDepartDelay, 9);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Truncated_file_is_a_clear_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tripinfo-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, "<tripinfos>\n<tripinfo id=\"a\" duration=\"5\"");
        try
        {
            var e = Assert.Throws<SumoException>(() => TripInfoMetrics.Read(path));
            Assert.Contains("incomplete or malformed", e.Message);
        }
        finally { File.Delete(path); }
    }
}
