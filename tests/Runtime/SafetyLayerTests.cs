using System.Device.Gpio;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Io;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>
/// The conflict monitor and the signal sequence under random and adversarial requests. An "oscilloscope" hook on the simulated
/// GPIO driver checks after every single pin write that no two conflicting groups show green or yellow at that instant, and the
/// timing checker follows every group: yellow lasts yellow_s, green lasts between min_green_s and max_green_s, and a group turns
/// green only after every conflicting group has been red for all_red_s.
/// </summary>
[Collection(RealTimeCollection.Name)]
public class SafetyLayerTests
{
    sealed class Scope
    {
        readonly SignalConfig _sig;
        readonly SimulatedGpioDriver _gpio;
        readonly (int A, int B)[] _conflicts;
        readonly Dictionary<int, (int Group, char Colour)> _pinOf = [];
        public int Violations, GreenStarts;
        public string? FirstViolation;
        readonly double[] _greenSince, _yellowSince, _redSince;
        public double Now;
        readonly double _dt;

        public Scope(SignalConfig sig, SimulatedGpioDriver gpio, double dt)
        {
            _sig = sig;
            _gpio = gpio;
            _dt = dt;
            var idx = sig.Groups.Select((g, i) => (g.Name, i)).ToDictionary(x => x.Name, x => x.i);
            _conflicts = sig.Conflicts.Select(c => (idx[c.A], idx[c.B])).ToArray();
            for (int g = 0; g < sig.Groups.Count; g++)
            {
                _pinOf[sig.Groups[g].Red] = (g, 'R');
                _pinOf[sig.Groups[g].Yellow] = (g, 'Y');
                _pinOf[sig.Groups[g].Green] = (g, 'G');
            }
            _greenSince = new double[sig.Groups.Count];
            _yellowSince = new double[sig.Groups.Count];
            _redSince = Enumerable.Repeat(-1e9, sig.Groups.Count).ToArray();
            gpio.OnWrite = OnWrite;
        }

        bool Active(int g) => _gpio.Peek(_sig.Groups[g].Green) == PinValue.High || _gpio.Peek(_sig.Groups[g].Yellow) == PinValue.High;

        void Fail(string what)
        {
            Violations++;
            FirstViolation ??= $"t={Now:F1}s: {what}";
        }

        readonly Dictionary<int, PinValue> _last = [];

        void OnWrite(int pin, PinValue value)
        {
            bool edge = !_last.TryGetValue(pin, out var before) || before != value;
            _last[pin] = value;
            foreach (var (a, b) in _conflicts)
                if (Active(a) && Active(b)) Fail($"conflict {_sig.Groups[a].Name} / {_sig.Groups[b].Name}");
            if (!edge || !_pinOf.TryGetValue(pin, out var at) || value != PinValue.High) return;
            int g = at.Group;
            switch (at.Colour)
            {
                case 'G':
                    GreenStarts++;
                    _greenSince[g] = Now;
                    foreach (var (a, b) in _conflicts)
                    {
                        int other = a == g ? b : b == g ? a : -1;
                        if (other >= 0 && Now - _redSince[other] < _sig.AllRedS - 1e-6) Fail($"{_sig.Groups[g].Name} green {Now - _redSince[other]:F2}s after {_sig.Groups[other].Name} went red");
                    }
                    break;
                case 'Y':
                    _yellowSince[g] = Now;
                    double green = Now - _greenSince[g];
                    if (green < _sig.MinGreenS - 1e-6) Fail($"{_sig.Groups[g].Name} green only {green:F2}s");
                    if (green > _sig.MaxGreenS + _dt + 1e-6) Fail($"{_sig.Groups[g].Name} green {green:F2}s > max");
                    break;
                case 'R':
                    if (_gpio.Peek(_sig.Groups[g].Yellow) == PinValue.High || _redSince[g] > _yellowSince[g]) break;
                    double yellow = Now - _yellowSince[g];
                    if (_yellowSince[g] > 0 && Math.Abs(yellow - _sig.YellowS) > 1e-6) Fail($"{_sig.Groups[g].Name} yellow {yellow:F2}s");
                    _redSince[g] = Now;
                    break;
            }
        }
    }

    [Fact]
    public void Random_and_invalid_requests_never_show_conflicting_greens_and_keep_every_timing()
    {
        using var dev = new SimDevice(writeBundle: false);
        var cfg = dev.Config;
        var catalog = new SourceCatalog(cfg);
        using var board = new Board(cfg, catalog);
        var scope = new Scope(cfg.Signal!, board.SimulatedGpio!, 0.1);
        var ctl = new SignalController(cfg.Signal!, board.Gpio, catalog);
        var rng = new Random(5);
        for (int step = 0; step < 30_000; step++)
        {
            scope.Now = step * 0.1;
            int request = rng.Next(10) switch { 0 => -1, 1 => 99, _ => rng.Next(4) };
            ctl.Step(request, 0.1);
            Assert.Null(ctl.Monitor());
        }
        Assert.True(scope.Violations == 0, scope.FirstViolation);
        Assert.True(scope.GreenStarts > 500, $"only {scope.GreenStarts} green starts: the random requests barely changed phases");
    }

    public static TheoryData<string> Adversaries => new() { "flip-flop", "hold-forever", "random-allowed", "always-masked" };

    [Theory]
    [MemberData(nameof(Adversaries))]
    public void Adversarial_policies_through_the_control_loop_cannot_break_the_safety_layer(string adversary)
    {
        using var dev = new SimDevice(t => t.Replace("healthy_period_s: 10", "healthy_period_s: 1000"));
        var rng = new Random(adversary.Length);
        using var rt = dev.Start(p => new ScriptedRunner(30, 4, (obs, mask, values) =>
        {
            values.Fill(0);
            var m = mask.ToArray();
            var o = obs.ToArray();
            var allowed = Enumerable.Range(0, 4).Where(a => m[a] > 0).ToArray();
            var current = Enumerable.Range(0, 4).FirstOrDefault(a => o[24 + a] > 0, -1);
            return adversary switch
            {
                "flip-flop" => allowed.FirstOrDefault(a => a != current, allowed[0]),
                "hold-forever" => current >= 0 && m[current] > 0 ? current : allowed[0],
                "random-allowed" => allowed[rng.Next(allowed.Length)],
                _ => Enumerable.Range(0, 4).FirstOrDefault(a => m[a] <= 0, 0), // asks for what the mask forbids
            };
        }));
        var scope = new Scope(dev.Config.Signal!, rt.Board.SimulatedGpio!, 0.1);
        for (int step = 0; step < 5000; step++)
        {
            scope.Now = step * 0.1 + 0.1;
            rt.Loop.Step();
        }
        Assert.True(scope.Violations == 0, scope.FirstViolation);
        Assert.Equal(0, rt.Metrics.MonitorTrips);
        Assert.True(scope.GreenStarts > 20, $"{adversary}: only {scope.GreenStarts} green starts");
        if (adversary == "always-masked")
        {
            // A policy graph never returns a masked action; one that does is malfunctioning and loses control.
            Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
            Assert.True(rt.Metrics.NonFiniteFaults >= 1);
        }
        else Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
    }

    [Fact]
    public void A_green_forced_outside_the_sequencer_trips_the_monitor_into_all_red_flash()
    {
        using var dev = new SimDevice();
        using var rt = dev.Start();
        var ctl = (SignalController)rt.Controller;
        for (int i = 0; i < 100 || ctl.GreenPhase < 0; i++) rt.Loop.Step();
        var sig = dev.Config.Signal!;
        int green = ctl.GreenPhase;
        Assert.True(green >= 0, "expected a green phase after 10 s");
        // A welded load-switch relay: the green of a group of another phase comes on and stays on, whatever is written.
        string victim = sig.Phases[(green + 2) % 4].Greens[0];
        var victimGreen = sig.Groups.First(g => g.Name == victim).Green;
        rt.Board.SimulatedGpio!.Stick(victimGreen, PinValue.High);
        rt.Loop.Step();
        Assert.Equal(ControlMode.FailSafe, rt.Metrics.Mode);
        Assert.Equal(1, rt.Metrics.MonitorTrips);
        Assert.Contains("conflict", rt.Controller.FailSafeReason);
        var gpio = rt.Board.SimulatedGpio!;
        Assert.All(sig.Groups.Where(g => g.Name != victim), g => Assert.Equal(PinValue.Low, gpio.Peek(g.Green)));
        Assert.All(sig.Groups, g => Assert.Equal(PinValue.Low, gpio.Peek(g.Yellow)));
        gpio.Stick(victimGreen, null); // the relay is replaced; the controller stays latched in flash until restart
        // The safety thread flashes the reds: watch them toggle.
        rt.StartSafetyThread();
        var seen = new HashSet<PinValue>();
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until && seen.Count < 2) { seen.Add(gpio.Peek(sig.Groups[0].Red)); Thread.Sleep(20); }
        Assert.Equal(2, seen.Count);
        // Latched: further periods change nothing and no policy runs.
        rt.Loop.Step();
        Assert.Equal(ControlMode.FailSafe, rt.Metrics.Mode);
        Assert.All(sig.Groups, g => Assert.Equal(PinValue.Low, gpio.Peek(g.Green)));
    }
}
