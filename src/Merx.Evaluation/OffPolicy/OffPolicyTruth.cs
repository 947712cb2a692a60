using System.Text.Json;
using Merx.Evaluation.Reports;
using Merx.Evaluation.Simulation;

namespace Merx.Evaluation.OffPolicy;

/// <summary>
/// The simulator's known value of each target policy on the lists a logging policy served: per
/// list, the target's expected clicks given the true click probabilities at that moment
/// (<see cref="OffPolicyTarget.Expected"/>), averaged over the lists; what an off-policy estimate
/// from the same log should find. Written by <c>merx simulate --log-db … --ope-truth FILE</c> and read by
/// <c>merx ope --truth FILE</c>.
/// </summary>
public sealed class OffPolicyTruth
{
    private readonly OffPolicyTarget[] _targets;
    private readonly double[] _sum;

    public OffPolicyTruth(IEnumerable<OffPolicyTarget> targets, string logging)
    {
        _targets = [.. targets]; _sum = new double[_targets.Length]; Logging = logging;
    }

    public string Logging { get; }
    public int Lists { get; private set; }
    /// <summary>The logging policy's own mean clicks per list (drawn, not expected).</summary>
    public double LoggedReward => Lists == 0 ? 0 : _loggedClicks / Lists;
    private double _loggedClicks;

    public void Add(SimulatedList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        for (var t = 0; t < _targets.Length; t++) _sum[t] += _targets[t].Expected(list.CtrByRank, list.Examination, list.Picks.Count);
        _loggedClicks += list.Clicked.Count(c => c);
        Lists++;
    }

    /// <summary>Mean expected clicks per list of each target.</summary>
    public IReadOnlyList<(string Policy, double Value)> Values => _targets.Select((t, i) => (t.Name, Lists == 0 ? 0 : _sum[i] / Lists)).ToArray();

    public void WriteJson(string path) => JsonFile.Write(path, w =>
    {
        w.WriteStartObject();
        w.WriteString("logging_policy", Logging);
        w.WriteNumber("lists", Lists);
        JsonFile.Number(w, "logged_reward_per_list", LoggedReward);
        w.WriteStartArray("targets");
        foreach (var (name, v) in Values) { w.WriteStartObject(); w.WriteString("name", name); JsonFile.Number(w, "truth_per_list", v); w.WriteEndObject(); }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Target name → true reward per list, from a file written by <see cref="WriteJson"/>.</summary>
    public static IReadOnlyDictionary<string, double> ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("targets").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("truth_per_list").GetDouble());
    }
}
