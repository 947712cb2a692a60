using Merx.Service.Serving;
using Merx.Storage;

namespace Merx.Server.Tests;

/// <summary>The dashboard's explored vs exploited click-through by user group (issue #23), on counts worked out by hand.</summary>
public sealed class ExplorationByGroupTests
{
    private static ServedOutcome List(string id, string? group, string[] items, bool[] explored, params string[] clicked) =>
        new(new ServedRecommendation(id, "u", DateTimeOffset.UnixEpoch, null, "full", null, items, explored) { UserGroup = group }, clicked);

    [Fact]
    public void Counts_slots_and_clicked_slots_per_group_and_kind_with_Wilson_intervals()
    {
        var rows = ExplorationByGroup.Compute([
            List("a", "established", ["i1", "i2", "i3"], [false, true, false], "i1", "i2"),
            List("b", "established", ["i4", "i5"], [false, true]),
            List("c", "new", ["i1", "i6", "i7", "i8", "i9"], [true, true, true, false, false], "i6", "i6", "i9"),
            List("d", "new", ["i2"], [true]),
            List("e", null, ["i1", "i2"], [false, true], "i1", "i2"), // no bandit stage: left out
        ]);
        Assert.Equal(["established/explored", "established/exploited", "new/explored", "new/exploited"], rows.Select(r => $"{r.Group}/{r.Slots}"));
        // established: explored 1 of 2 slots clicked, exploited 1 of 3; new: explored 1 of 4, exploited 1 of 2.
        Assert.Equal([(2L, 1L), (3L, 1L), (4L, 1L), (2L, 1L)], rows.Select(r => (r.Shown, r.Clicks)));
        // Wilson 95 %: 1 of 4 → [0.045587, 0.699358] (z = 1.959964).
        Assert.Equal(0.25, rows[2].Ctr!.Value, 12);
        Assert.Equal(0.0455872608, rows[2].Lo!.Value, 9);
        Assert.Equal(0.6993581574, rows[2].Hi!.Value, 9);
        var (_, lo, hi) = ExplorationByGroup.Wilson(2, 5, 1.959963984540054);
        Assert.Equal(0.1176207742, lo!.Value, 9);
        Assert.Equal(0.7692757187, hi!.Value, 9);
        Assert.Equal(1.0, ExplorationByGroup.Wilson(1, 1, 1.959963984540054).Hi!.Value, 12);
        Assert.Equal(0.0, ExplorationByGroup.Wilson(0, 3, 1.959963984540054).Lo!.Value, 12);
    }

    [Fact]
    public void A_group_with_no_slot_of_a_kind_has_no_rate()
    {
        var rows = ExplorationByGroup.Compute([List("a", "new", ["i1"], [false], "i1")]);
        Assert.All(rows.Where(r => r.Group == "established"), r => { Assert.Equal(0, r.Shown); Assert.Null(r.Ctr); Assert.Null(r.Lo); });
        Assert.Equal(1.0, rows.Single(r => r.Group == "new" && r.Slots == "exploited").Ctr);
    }
}
