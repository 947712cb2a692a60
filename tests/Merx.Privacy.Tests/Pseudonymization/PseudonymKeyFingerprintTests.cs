using Merx.Privacy.Pseudonymization;

namespace Merx.Privacy.Tests.Pseudonymization;

/// <summary>Key fingerprints (what a store records of its key, issue #7) and generated keys.</summary>
public sealed class PseudonymKeyFingerprintTests
{
    private const string Secret = "fingerprint-test-secret-0123456789abcdef";

    [Fact]
    public void A_fingerprint_names_the_key_and_its_version_and_reveals_no_secret()
    {
        var a = PseudonymKey.Parse("v1:" + Secret);
        Assert.Matches("^v1:[0-9a-f]{16}$", a.Fingerprint);
        Assert.Equal(a.Fingerprint, PseudonymKey.Parse("v1:" + Secret).Fingerprint);
        Assert.NotEqual(a.Fingerprint, PseudonymKey.Parse("v1:" + Secret + "x").Fingerprint);
        Assert.Equal("v2:" + a.Fingerprint[3..], PseudonymKey.Parse("v2:" + Secret).Fingerprint); // same secret, another version
        Assert.DoesNotContain(Secret[..8], a.Fingerprint);
    }

    [Fact]
    public void Generated_keys_parse_with_their_version_and_differ_every_time()
    {
        var text = PseudonymKey.GenerateText(3);
        Assert.StartsWith("v3:", text);
        var key = PseudonymKey.Parse(text);
        Assert.Equal(3, key.Version);
        Assert.NotEqual(text, PseudonymKey.GenerateText(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PseudonymKey.GenerateText(0));
    }
}
