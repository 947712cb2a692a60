using System.Security.Cryptography;
using System.Text.Json;

namespace Merx.Storage;

/// <summary>Argument checks every backend applies before it writes (one home, so the backends refuse the same inputs alike).</summary>
internal static class StoreChecks
{
    /// <summary>Checks a model's name and metrics (JSON) before its payload is written.</summary>
    public static void ModelMetadata(string name, string metricsJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(metricsJson);
        try { using var _ = JsonDocument.Parse(metricsJson); }
        catch (JsonException e) { throw new ArgumentException($"metrics of model '{name}' are not valid JSON: {e.Message}", nameof(metricsJson), e); }
    }

    /// <summary>A model payload read back, checked against the SHA-256 stored with it (a corrupt one is never loaded).</summary>
    public static byte[] VerifiedPayload(byte[] payload, string expectedSha256, long version, string where)
    {
        var actual = Convert.ToHexStringLower(SHA256.HashData(payload));
        if (actual != expectedSha256) throw new InvalidDataException($"model version {version} in {where} is corrupt: SHA-256 {actual}, expected {expectedSha256}");
        return payload;
    }

    /// <summary>Checks an import record (what was read, in which format, how many accepted and skipped).</summary>
    public static void ImportRecord(string source, string format, string reportSummary, long accepted, long skipped)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(reportSummary);
        ArgumentOutOfRangeException.ThrowIfNegative(accepted);
        ArgumentOutOfRangeException.ThrowIfNegative(skipped);
    }

    /// <summary>Checks served lists before any is written: one explored flag per item; a known user group; a logging record with one exploit rank and one propensity in (0, 1] per item, ranks among the candidates, capped slots among the items, presences (when given) one per item between its propensity and 1.</summary>
    public static void Served(IReadOnlyList<ServedRecommendation> served)
    {
        ArgumentNullException.ThrowIfNull(served);
        foreach (var r in served)
        {
            if (r.Items.Count != r.Explored.Count) throw new ArgumentException($"recommendation {r.Id}: one explored flag per item", nameof(served));
            if (r.UserGroup is not (null or "established" or "new")) throw new ArgumentException($"recommendation {r.Id}: user group '{r.UserGroup}' is neither 'established' nor 'new'", nameof(served));
            if (r.Logging is not { } l) continue;
            if (l.ExploitRanks.Count != r.Items.Count || l.Propensities.Count != r.Items.Count)
                throw new ArgumentException($"recommendation {r.Id}: one exploit rank and one propensity per item", nameof(served));
            if (l.Candidates < r.Items.Count) throw new ArgumentException($"recommendation {r.Id}: {l.Candidates} candidates cannot fill {r.Items.Count} slots", nameof(served));
            if (l.DrawCap < 0 || l.CappedSlots < 0 || l.CappedSlots > r.Items.Count || (l.DrawCap == 0 && l.CappedSlots > 0))
                throw new ArgumentException($"recommendation {r.Id}: draw cap {l.DrawCap} with {l.CappedSlots} capped slots is not a redraw record", nameof(served));
            if (l.CappedPresences < 0 || l.CappedPresences > l.CappedSlots || (l.CappedPresences > 0 && l.Presences is null))
                throw new ArgumentException($"recommendation {r.Id}: {l.CappedPresences} capped presences with {l.CappedSlots} capped slots is not a redraw record (an item not seen anywhere was not seen at its slot either)", nameof(served));
            if (l.Presences is { } q && q.Count != r.Items.Count) throw new ArgumentException($"recommendation {r.Id}: one presence per item", nameof(served));
            for (var j = 0; j < r.Items.Count; j++)
            {
                if (!(l.Propensities[j] > 0 && l.Propensities[j] <= 1)) throw new ArgumentException($"recommendation {r.Id}: slot {j}'s propensity {l.Propensities[j]} is not in (0, 1]", nameof(served));
                if (l.ExploitRanks[j] < 0 || l.ExploitRanks[j] >= l.Candidates) throw new ArgumentException($"recommendation {r.Id}: slot {j}'s exploit rank {l.ExploitRanks[j]} is not among {l.Candidates} candidates", nameof(served));
                if (l.Presences is { } p && !(p[j] >= l.Propensities[j] && p[j] <= 1))
                    throw new ArgumentException($"recommendation {r.Id}: slot {j}'s presence {p[j]} is not in [its propensity {l.Propensities[j]}, 1] (showing the item anywhere is at least as likely as showing it there)", nameof(served));
            }
        }
    }

    /// <summary>Checks the entries of a lazy re-keying call (each with a current id and a list of older ids).</summary>
    public static void Rekeys(IReadOnlyList<UserRekey> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        foreach (var u in users)
        {
            ArgumentNullException.ThrowIfNull(u);
            ArgumentException.ThrowIfNullOrEmpty(u.Current);
            ArgumentNullException.ThrowIfNull(u.Older);
        }
    }
}
