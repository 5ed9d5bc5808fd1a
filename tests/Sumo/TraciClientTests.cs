using Xunit;
using MarlEdge.Trainer.Sumo.Traci;

namespace MarlEdge.Tests.Sumo;

/// <summary>The TraCI client against a real sumo process.</summary>
[Collection("Sumo")]
public sealed class TraciClientTests(SumoScenarioFixture scenario)
{
    SumoProcess StartSumo(string tripinfo) => SumoProcess.Start(new SumoLaunchOptions(
        Path.Combine(scenario.GridFolder, "grid.net.xml"), [Path.Combine(scenario.GridFolder, "grid.rou.xml")], tripinfo));

    sealed class RecordingSink : ISubscriptionSink
    {
        public readonly List<(byte Response, string Subscribed, string Object, byte Variable, double Number, string Text)> Values = [];

        public void OnValue(byte responseId, ReadOnlySpan<byte> subscribedId, ReadOnlySpan<byte> objectId, byte variableId, TraciValue value) =>
            Values.Add((responseId, System.Text.Encoding.Latin1.GetString(subscribedId), System.Text.Encoding.Latin1.GetString(objectId),
                variableId, value.Number, value.TextAsString()));
    }

    [Fact]
    public void Version_stepping_and_traffic_light_state_round_trip()
    {
        string tripinfo = Path.Combine(scenario.Root, $"tripinfo-{Guid.NewGuid():N}.xml");
        using var sumo = StartSumo(tripinfo);
        var client = sumo.Client;

        var (api, identifier) = client.GetVersion();
        Assert.True(api >= 20, $"TraCI API {api}");
        Assert.StartsWith("SUMO", identifier);
        client.SetOrder(1);

        client.SimulationStep(0, null);  // exactly one step
        Assert.Equal(1.0, client.GetNumber(TraciCommand.GetSimulation, TraciVariable.Time, ""));
        client.SimulationStep(25, null);
        Assert.Equal(25.0, client.GetNumber(TraciCommand.GetSimulation, TraciVariable.Time, ""));

        string state = client.GetTrafficLightState("A0");
        string allRed = new('r', state.Length);
        client.QueueSetTrafficLightState("A0", allRed);
        client.SimulationStep(26, null);
        Assert.Equal(allRed, client.GetTrafficLightState("A0"));

        // A refused command names the problem, and the connection stays usable.
        client.QueueSetTrafficLightState("no-such-light", allRed);
        var refused = Assert.Throws<TraciCommandException>(() => client.SimulationStep(27, null));
        Assert.Contains("no-such-light", refused.Message);
        Assert.Equal(26.0, client.GetNumber(TraciCommand.GetSimulation, TraciVariable.Time, ""));

        sumo.CloseAndWait(TimeSpan.FromSeconds(20));
        Assert.True(sumo.HasExited);
        Assert.True(File.Exists(tripinfo));
    }

    [Fact]
    public void Subscriptions_arrive_with_every_step_in_one_batch()
    {
        using var sumo = StartSumo(Path.Combine(scenario.Root, $"tripinfo-{Guid.NewGuid():N}.xml"));
        var client = sumo.Client;
        var sink = new RecordingSink();
        client.SubscribeVariables(TraciCommand.SubscribeSimulationVariables, "", [TraciVariable.Time, TraciVariable.MinExpectedNumber], sink);
        client.SubscribeVariables(TraciCommand.SubscribeLaneVariables, "left0A0_0", [TraciVariable.LastStepVehicleNumber, TraciVariable.LastStepVehicleHaltingNumber]);
        client.SubscribeContext(TraciCommand.SubscribeJunctionContext, "A0", TraciCommand.GetVehicle, 300, [TraciVariable.LaneId, TraciVariable.Speed]);
        Assert.Equal(2, sink.Values.Count);  // the subscription's immediate answer

        int laneVehiclesSeen = 0, contextVehiclesSeen = 0;
        for (int t = 10; t <= 200; t += 10)
        {
            sink.Values.Clear();
            int results = client.SimulationStep(t, sink);
            Assert.Equal(3, results);  // simulation, lane, junction context: one result each per step
            Assert.Contains(sink.Values, v => v.Variable == TraciVariable.Time && v.Number == t);
            var laneCount = sink.Values.Single(v => v.Subscribed == "left0A0_0" && v.Variable == TraciVariable.LastStepVehicleNumber).Number;
            var halting = sink.Values.Single(v => v.Subscribed == "left0A0_0" && v.Variable == TraciVariable.LastStepVehicleHaltingNumber).Number;
            Assert.InRange(halting, 0, laneCount);
            laneVehiclesSeen += (int)laneCount;

            var around = sink.Values.Where(v => v.Subscribed == "A0" && v.Variable == TraciVariable.LaneId).ToList();
            contextVehiclesSeen += around.Count;
            // every vehicle found around A0 reports its lane first, then its speed
            Assert.Equal(around.Count, sink.Values.Count(v => v.Subscribed == "A0" && v.Variable == TraciVariable.Speed));
            // the lane subscription and the context subscription agree on the lane left0A0_0
            Assert.Equal((int)laneCount, around.Count(v => v.Text == "left0A0_0"));
        }
        Assert.True(laneVehiclesSeen > 0, "no vehicle ever entered left0A0_0");
        Assert.True(contextVehiclesSeen > 0, "no vehicle ever seen around A0");
    }
}
