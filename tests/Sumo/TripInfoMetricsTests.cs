using Xunit;
using MarlEdge.Trainer.Sumo;

namespace MarlEdge.Tests.Sumo;

public sealed class TripInfoMetricsTests
{
    static string Temp(string text, string suffix = ".xml")
    {
        string path = Path.Combine(Path.GetTempPath(), $"marledge-{Guid.NewGuid():N}{suffix}");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Completed_trips_give_the_averages_and_resco_delay_adds_depart_delay()
    {
        string path = Temp("""
            <tripinfos>
                <tripinfo id="a" depart="0.00" arrival="50.00" duration="50.00" waitingTime="10.00" timeLoss="20.00" departDelay="1.00"/>
                <tripinfo id="b" depart="5.00" arrival="95.00" duration="90.00" waitingTime="0.00" timeLoss="4.00" departDelay="3.00"/>
            </tripinfos>
            """);
        try
        {
            var m = TripInfoMetrics.Read(path, ScheduledDepartures.None, 100);
            Assert.Equal(2, m.Throughput);
            Assert.Equal(12.0, m.AvgTimeLoss, 9);
            Assert.Equal(14.0, m.AvgDelay, 9);          // RESCO: mean of timeLoss + departDelay = (21 + 7) / 2
            Assert.Equal(70.0, m.AvgTripTime, 9);
            Assert.Equal(5.0, m.AvgWait, 9);
            Assert.Equal(2.0, m.AvgDepartDelay, 9);
            Assert.Equal(0, m.NeverDeparted);
        }
        finally { File.Delete(path); }
    }

    /// <summary>The case RESCO's readXML.py was written for: unfinished trips and vehicles still waiting to get in at the end.</summary>
    [Fact]
    public void Resco_delay_charges_unfinished_trips_and_vehicles_that_never_departed()
    {
        // Scheduled: a at 0, b at 10, c at 20, d at 30, e at 40; the episode ends at 100.
        string routes = Temp("""
            <routes>
                <vType id="car"/>
                <vehicle id="a" depart="0.00"><route edges="x"/></vehicle>
                <vehicle id="b" depart="10.00"><route edges="x"/></vehicle>
                <vehicle id="c" depart="20.00"><route edges="x"/></vehicle>
                <trip id="d" depart="30.00" from="x" to="y"/>
                <vehicle id="e" depart="40.00"><route edges="x"/></vehicle>
                <vehicle id="late" depart="150.00"><route edges="x"/></vehicle>
            </routes>
            """, ".rou.xml");
        // a finished; b got in late (actual depart 60, scheduled 10) and is still driving; c, d, e never got in.
        string trips = Temp("""
            <tripinfos>
                <tripinfo id="a" depart="0.00" arrival="50.00" duration="50.00" waitingTime="10.00" timeLoss="20.00" departDelay="0.00"/>
                <tripinfo id="b" depart="60.00" arrival="-1.00" duration="40.00" waitingTime="30.00" timeLoss="35.00" departDelay="50.00" vaporized="end"/>
            </tripinfos>
            """);
        try
        {
            var schedule = ScheduledDepartures.Read([routes]);
            Assert.Equal(6, schedule.Count);
            var m = TripInfoMetrics.Read(trips, schedule, 100);
            Assert.Equal(1, m.Throughput);                       // only a completed
            Assert.Equal(20.0, m.AvgTimeLoss, 9);
            Assert.Equal(3, m.NeverDeparted);                    // c, d, e: scheduled after b's scheduled 10 s, before the end
            // (20 + 0) + (35 + 50) + (100 - 20) + (100 - 30) + (100 - 40) over 2 entries + 3 never departed
            Assert.Equal((20.0 + 85 + 80 + 70 + 60) / 5, m.AvgDelay, 9);
        }
        finally { File.Delete(routes); File.Delete(trips); }
    }

    /// <summary>
    /// A blocked entry: x1, x2 (scheduled early, on an entry that never opened) never got in, while y2 on another entry
    /// got in at the end on time. RESCO's term charges only vehicles scheduled after y2's 80 s, so x1 and x2 vanish from
    /// avg_delay; avg_delay_all charges every scheduled vehicle without an entry (end − depart).
    /// </summary>
    [Fact]
    public void Vehicles_blocked_for_good_before_the_last_insertion_are_missed_by_resco_but_charged_in_delay_all()
    {
        string routes = Temp("""
            <routes>
                <vehicle id="x1" depart="10.00"><route edges="x"/></vehicle>
                <vehicle id="y1" depart="20.00"><route edges="y"/></vehicle>
                <vehicle id="x2" depart="30.00"><route edges="x"/></vehicle>
                <vehicle id="y2" depart="80.00"><route edges="y"/></vehicle>
                <vehicle id="y3" depart="90.00"><route edges="y"/></vehicle>
            </routes>
            """, ".rou.xml");
        string trips = Temp("""
            <tripinfos>
                <tripinfo id="y1" depart="20.00" arrival="60.00" duration="40.00" waitingTime="0.00" timeLoss="10.00" departDelay="0.00"/>
                <tripinfo id="y2" depart="80.00" arrival="-1.00" duration="20.00" waitingTime="0.00" timeLoss="5.00" departDelay="0.00" vaporized="end"/>
            </tripinfos>
            """);
        try
        {
            var m = TripInfoMetrics.Read(trips, ScheduledDepartures.Read([routes]), 100);
            Assert.Equal(1, m.NeverDeparted);                            // y3 only: scheduled after y2's 80 s
            Assert.Equal((10.0 + 5 + (100 - 90)) / 3, m.AvgDelay, 9);    // x1 and x2 are not counted at all
            Assert.Equal(3, m.NotInserted);                              // x1, x2, y3
            Assert.Equal((10.0 + 5 + 90 + 70 + 10) / 5, m.AvgDelayAll, 9);
        }
        finally { File.Delete(routes); File.Delete(trips); }
    }

    [Fact]
    public void Truncated_file_is_a_clear_error()
    {
        string path = Temp("<tripinfos>\n<tripinfo id=\"a\" duration=\"5\"");
        try
        {
            var e = Assert.Throws<SumoException>(() => TripInfoMetrics.Read(path, ScheduledDepartures.None, 100));
            Assert.Contains("incomplete or malformed", e.Message);
        }
        finally { File.Delete(path); }
    }
}
