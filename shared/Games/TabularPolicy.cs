using System.Globalization;
using System.Text;
using System.Text.Json;
using MarlEdge.Shared.IO;

namespace MarlEdge.Shared.Games;

/// <summary>
/// Each agent's action probabilities per state: Probs[agent][state * NumActions[agent] + action].
/// Serialized as policy.json: <c>{"agents": [{"probs": [[p(a|s) for a] for s]}, …]}</c>.
/// </summary>
public sealed class TabularPolicy
{
    public int NumStates { get; }
    public int[] NumActions { get; }
    public double[][] Probs { get; }

    public TabularPolicy(int numStates, int[] numActions)
    {
        NumStates = numStates;
        NumActions = numActions;
        Probs = numActions.Select(a => new double[numStates * a]).ToArray();
    }

    public Span<double> Row(int agent, int state) => Probs[agent].AsSpan(state * NumActions[agent], NumActions[agent]);

    public static TabularPolicy Uniform(TabularGame g)
    {
        var p = new TabularPolicy(g.NumStates, g.NumActions);
        for (int i = 0; i < g.NumAgents; i++) Array.Fill(p.Probs[i], 1.0 / g.NumActions[i]);
        return p;
    }

    public void CheckFits(TabularGame g)
    {
        if (NumStates != g.NumStates || !NumActions.SequenceEqual(g.NumActions))
            throw new GameFormatException($"the policy has {NumActions.Length} agents, {NumStates} states and actions [{string.Join(",", NumActions)}], the game {g.NumAgents}, {g.NumStates} and [{string.Join(",", g.NumActions)}]");
    }

    public string ToJson()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("{\"agents\": [");
        for (int i = 0; i < NumActions.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append("{\"probs\": [");
            for (int s = 0; s < NumStates; s++)
            {
                if (s > 0) sb.Append(", ");
                sb.Append('[');
                var row = Row(i, s);
                for (int a = 0; a < row.Length; a++) { if (a > 0) sb.Append(", "); sb.Append(row[a].ToString("R", inv)); }
                sb.Append(']');
            }
            sb.Append("]}");
        }
        sb.Append("]}\n");
        return sb.ToString();
    }

    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson());

    public static TabularPolicy Read(string path)
    {
        if (!File.Exists(path)) throw new GameFormatException($"policy file '{path}' does not exist");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("agents", out var agents) || agents.ValueKind != JsonValueKind.Array || agents.GetArrayLength() == 0)
                throw new GameFormatException("key 'agents' must be a non-empty array");
            var rows = agents.EnumerateArray().Select((a, i) =>
                a.TryGetProperty("probs", out var pr) && pr.ValueKind == JsonValueKind.Array
                    ? pr.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray()
                    : throw new GameFormatException($"agents[{i}] has no 'probs' array")).ToArray();
            int states = rows[0].Length;
            var policy = new TabularPolicy(states, rows.Select(r => r.Length == 0 ? 0 : r[0].Length).ToArray());
            for (int i = 0; i < rows.Length; i++)
            {
                if (rows[i].Length != states) throw new GameFormatException($"agents[{i}] has {rows[i].Length} states, agents[0] has {states}");
                for (int s = 0; s < states; s++)
                {
                    if (rows[i][s].Length != policy.NumActions[i]) throw new GameFormatException($"agents[{i}].probs[{s}] has {rows[i][s].Length} actions, not {policy.NumActions[i]}");
                    double sum = rows[i][s].Sum();
                    if (rows[i][s].Any(p => !(p >= 0)) || Math.Abs(sum - 1) > 1e-6)
                        throw new GameFormatException($"agents[{i}].probs[{s}] is not a probability distribution (sums to {sum:G6})");
                    rows[i][s].CopyTo(policy.Row(i, s));
                }
            }
            return policy;
        }
        catch (JsonException e) { throw new GameFormatException($"policy file '{path}' is not valid JSON: {e.Message.Split('\n')[0]}"); }
        catch (InvalidOperationException) { throw new GameFormatException($"policy file '{path}' has a value of the wrong type"); }
    }
}
