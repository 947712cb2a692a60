using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

/// <summary>Issue 18: replicas exchange bandit updates as bytes; a decoded update teaches a policy exactly what the original does.</summary>
public sealed class BanditFeedbackCodecTests
{
    private static BanditFeedback Sample(bool withVector) => new()
    {
        Request = new BanditRequest
        {
            UserKey = "not-sent", UserVector = withVector ? new float[] { 0.25f, -1.5f, 3f, 1e-7f } : default, HistoryLength = 12,
            RecentImpressions = 3.25, RecentClicks = 0.5, KnownCategories = withVector ? new HashSet<int> { 9, 2, 4 } : null, Segment = 2,
        },
        Item = 17, ExploitRank = 5, Category = 4, Slot = 3, Explored = true, Clicked = true, SlateSize = 8,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Round_trip_keeps_every_field_the_policies_learn_from(bool withVector)
    {
        var f = Sample(withVector);
        var back = BanditFeedbackCodec.Decode(BanditFeedbackCodec.Encode(f));
        Assert.Equal((f.Item, f.ExploitRank, f.Category, f.Slot, f.Explored, f.Clicked, f.SlateSize), (back.Item, back.ExploitRank, back.Category, back.Slot, back.Explored, back.Clicked, back.SlateSize));
        Assert.Equal((12, 3.25, 0.5, 2), (back.Request.HistoryLength, back.Request.RecentImpressions, back.Request.RecentClicks, back.Request.Segment));
        Assert.Equal(f.Request.UserVector.ToArray(), back.Request.UserVector.ToArray());
        Assert.Equal(f.Request.KnownCategories?.Order().ToArray(), back.Request.KnownCategories?.Order().ToArray());
        Assert.Equal("", back.Request.UserKey);
    }

    [Fact]
    public void A_linear_policy_taught_the_decoded_update_ends_in_the_same_state()
    {
        var (direct, decoded) = (BanditPolicies.CreateOver("linucb", null), BanditPolicies.CreateOver("linucb", null));
        direct.Update(Sample(true));
        decoded.Update(BanditFeedbackCodec.Decode(BanditFeedbackCodec.Encode(Sample(true))));
        Assert.Equal(direct.SaveState(), decoded.SaveState());
        Assert.NotEqual(BanditPolicies.CreateOver("linucb", null).SaveState(), decoded.SaveState());
    }

    [Fact]
    public void Truncated_or_foreign_bytes_are_refused()
    {
        var bytes = BanditFeedbackCodec.Encode(Sample(true));
        Assert.Throws<InvalidDataException>(() => BanditFeedbackCodec.Decode(bytes[..^3]));
        Assert.Throws<InvalidDataException>(() => BanditFeedbackCodec.Decode([.. bytes, 0]));
        Assert.Throws<InvalidDataException>(() => BanditFeedbackCodec.Decode([2, .. bytes[1..]]));
    }
}
