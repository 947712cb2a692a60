using System.Security.Cryptography;
using System.Text.Json;

namespace Merx.Storage;

/// <summary>Argument checks every backend applies before it writes (one home, so the backends refuse the same inputs alike).</summary>
internal static class StoreChecks
{
    /// <summary>Checks a model to publish (name, payload, metrics that must be JSON); returns the payload's lower-case hex SHA-256.</summary>
    public static string ModelPayload(string name, byte[] payload, string metricsJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(metricsJson);
        try { using var _ = JsonDocument.Parse(metricsJson); }
        catch (JsonException e) { throw new ArgumentException($"metrics of model '{name}' are not valid JSON: {e.Message}", nameof(metricsJson), e); }
        return Convert.ToHexStringLower(SHA256.HashData(payload));
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
