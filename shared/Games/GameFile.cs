using System.Globalization;
using System.Text;
using System.Text.Json;
using MarlEdge.Shared.IO;

namespace MarlEdge.Shared.Games;

/// <summary>Reads and writes tabular games in the <c>marledge-tabular-game/1</c> JSON format (../shared/games/FORMAT.md).</summary>
public static class GameFile
{
    public const string Format = "marledge-tabular-game/1";

    public static TabularGame Read(string path)
    {
        if (!File.Exists(path)) throw new GameFormatException($"game file '{path}' does not exist");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
            return Parse(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new GameFormatException($"game file '{path}' is not valid JSON: {e.Message.Split('\n')[0]}");
        }
        catch (GameFormatException e)
        {
            throw new GameFormatException($"game file '{path}': {e.Message}");
        }
    }

    public static TabularGame Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new GameFormatException("the top level must be a JSON object");
        string format = Str(root, "format");
        if (format != Format) throw new GameFormatException($"format is '{format}', expected '{Format}'");
        string name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        int agents = Int(root, "num_agents");
        if (agents < 1) throw new GameFormatException($"num_agents is {agents}; it must be at least 1");
        var actionsEl = Arr(root, "num_actions");
        if (actionsEl.GetArrayLength() != agents)
            throw new GameFormatException($"num_actions has {actionsEl.GetArrayLength()} entries but num_agents is {agents}");
        int[] numActions = actionsEl.EnumerateArray().Select((e, i) => IntOf(e, $"num_actions[{i}]")).ToArray();
        for (int i = 0; i < agents; i++)
            if (numActions[i] < 1) throw new GameFormatException($"num_actions[{i}] is {numActions[i]}; each agent needs at least 1 action");
        int joint = 1;
        foreach (int a in numActions) joint = checked(joint * a);
        int states = Int(root, "num_states");
        if (states < 1) throw new GameFormatException($"num_states is {states}; it must be at least 1");

        var start = new double[states];
        if (root.TryGetProperty("start_distribution", out var sd))
        {
            if (sd.ValueKind != JsonValueKind.Array || sd.GetArrayLength() != states)
                throw new GameFormatException($"start_distribution must be an array of num_states = {states} numbers");
            int i = 0;
            foreach (var e in sd.EnumerateArray()) start[i] = NumOf(e, $"start_distribution[{i++}]");
        }
        else
        {
            int s0 = Int(root, "start_state");
            if (s0 < 0 || s0 >= states) throw new GameFormatException($"start_state {s0} is outside 0..{states - 1}");
            start[s0] = 1;
        }
        double gamma = Num(root, "gamma");
        int horizon = Int(root, "horizon");

        var terminal = new bool[states];
        if (root.TryGetProperty("terminal_states", out var ts))
        {
            if (ts.ValueKind != JsonValueKind.Array) throw new GameFormatException("terminal_states must be an array of states");
            int i = 0;
            foreach (var e in ts.EnumerateArray())
            {
                int t = IntOf(e, $"terminal_states[{i++}]");
                if (t < 0 || t >= states) throw new GameFormatException($"terminal_states names state {t}, outside 0..{states - 1}");
                terminal[t] = true;
            }
        }

        var rewardsEl = Arr(root, "rewards");
        if (rewardsEl.GetArrayLength() != states)
            throw new GameFormatException($"rewards has {rewardsEl.GetArrayLength()} rows but num_states is {states}");
        var rewards = new double[states * joint];
        int row = 0;
        foreach (var r in rewardsEl.EnumerateArray())
        {
            if (r.ValueKind != JsonValueKind.Array || r.GetArrayLength() != joint)
                throw new GameFormatException($"rewards[{row}] must have {joint} entries (one per joint action), found {(r.ValueKind == JsonValueKind.Array ? r.GetArrayLength() : 0)}");
            int j = 0;
            foreach (var x in r.EnumerateArray()) { rewards[row * joint + j] = NumOf(x, $"rewards[{row}][{j}]"); j++; }
            row++;
        }

        var transEl = Arr(root, "transitions");
        if (transEl.GetArrayLength() != states)
            throw new GameFormatException($"transitions has {transEl.GetArrayLength()} rows but num_states is {states}");
        var tStart = new int[states * joint + 1];
        var next = new List<int>();
        var prob = new List<double>();
        int s = 0;
        foreach (var perState in transEl.EnumerateArray())
        {
            if (perState.ValueKind != JsonValueKind.Array || perState.GetArrayLength() != joint)
                throw new GameFormatException($"transitions[{s}] must have {joint} entries (one per joint action)");
            int j = 0;
            foreach (var list in perState.EnumerateArray())
            {
                tStart[s * joint + j] = next.Count;
                if (list.ValueKind != JsonValueKind.Array) throw new GameFormatException($"transitions[{s}][{j}] must be a list of [next_state, probability]");
                foreach (var pair in list.EnumerateArray())
                {
                    if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
                        throw new GameFormatException($"transitions[{s}][{j}] has an entry that is not [next_state, probability]");
                    next.Add(IntOf(pair[0], $"transitions[{s}][{j}] next state"));
                    prob.Add(NumOf(pair[1], $"transitions[{s}][{j}] probability"));
                }
                j++;
            }
            s++;
        }
        tStart[^1] = next.Count;
        return new TabularGame(name, numActions, states, start, gamma, horizon, terminal, rewards, tStart, next.ToArray(), prob.ToArray());
    }

    public static void Write(TabularGame g, string path) => AtomicFile.WriteAllText(path, ToJson(g));

    public static string ToJson(TabularGame g)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("{\"format\": \"").Append(Format).Append("\", \"name\": \"").Append(JsonEncodedText.Encode(g.Name).Value).Append('"'); // escaped as JsonSerializer would, without reflection
        sb.Append(", \"num_agents\": ").Append(g.NumAgents);
        sb.Append(", \"num_actions\": [").Append(string.Join(", ", g.NumActions)).Append(']');
        sb.Append(", \"num_states\": ").Append(g.NumStates);
        int single = Array.FindIndex(g.StartDistribution, p => p == 1.0);
        if (single >= 0) sb.Append(", \"start_state\": ").Append(single);
        else sb.Append(", \"start_distribution\": [").Append(string.Join(", ", g.StartDistribution.Select(p => p.ToString("R", inv)))).Append(']');
        sb.Append(", \"gamma\": ").Append(g.Gamma.ToString("R", inv));
        sb.Append(", \"horizon\": ").Append(g.Horizon);
        sb.Append(", \"terminal_states\": [").Append(string.Join(", ", Enumerable.Range(0, g.NumStates).Where(x => g.IsTerminal[x]))).Append(']');
        sb.Append(", \"rewards\": [");
        for (int s = 0; s < g.NumStates; s++)
        {
            if (s > 0) sb.Append(", ");
            sb.Append('[');
            for (int j = 0; j < g.NumJoint; j++) { if (j > 0) sb.Append(", "); sb.Append(g.Reward(s, j).ToString("R", inv)); }
            sb.Append(']');
        }
        sb.Append("], \"transitions\": [");
        for (int s = 0; s < g.NumStates; s++)
        {
            if (s > 0) sb.Append(", ");
            sb.Append('[');
            for (int j = 0; j < g.NumJoint; j++)
            {
                if (j > 0) sb.Append(", ");
                sb.Append('[');
                int sj = s * g.NumJoint + j;
                for (int k = g.TransitionStart[sj]; k < g.TransitionStart[sj + 1]; k++)
                {
                    if (k > g.TransitionStart[sj]) sb.Append(", ");
                    sb.Append('[').Append(g.NextStates[k]).Append(", ").Append(g.Probabilities[k].ToString("R", inv)).Append(']');
                }
                sb.Append(']');
            }
            sb.Append(']');
        }
        sb.Append("]}\n");
        return sb.ToString();
    }

    static JsonElement Get(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) ? v : throw new GameFormatException($"key '{key}' is missing");

    static string Str(JsonElement o, string key)
    {
        var v = Get(o, key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new GameFormatException($"key '{key}' must be a string");
    }

    static int Int(JsonElement o, string key) => IntOf(Get(o, key), key);
    static double Num(JsonElement o, string key) => NumOf(Get(o, key), key);

    static JsonElement Arr(JsonElement o, string key)
    {
        var v = Get(o, key);
        return v.ValueKind == JsonValueKind.Array ? v : throw new GameFormatException($"key '{key}' must be an array");
    }

    static int IntOf(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw new GameFormatException($"{what} must be an integer");

    static double NumOf(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new GameFormatException($"{what} must be a number");
}
