using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Models.Tags;

namespace Merx.Models.Tests.Classic;

/// <summary>Issue #19: tag suggestion from text neighbours and behaviour neighbours.</summary>
public sealed class TagSuggesterTests
{
    // Items 0–2 are "horror" (text axis 0), 3–5 "comedy" (axis 1); item 6 is the item whose tags we ask for.
    private static readonly IReadOnlyList<string>[] Labels = [["horror"], ["horror", "thriller"], ["horror"], ["comedy"], ["comedy", "romance"], ["comedy"], []];

    private static PretrainedVectors Text(int axisOf6)
    {
        var rows = new float[]?[7];
        for (var i = 0; i < 6; i++) { rows[i] = new float[2]; rows[i]![i < 3 ? 0 : 1] = 1; }
        rows[6] = new float[2]; rows[6]![axisOf6] = 1;
        return PretrainedVectors.FromRows("t", 2, rows);
    }

    /// <summary>Users who watched item 6 also watched the comedies.</summary>
    private static UserSequences Behaviour() => UserSequences.FromLists([[6, 3, 4], [6, 4, 5], [0, 1], [1, 2]], 7);

    [Fact]
    public void Text_alone_follows_the_text_neighbours_with_exact_vote_shares()
    {
        var s = new TagSuggester(Labels, Text(axisOf6: 0), null, neighbours: 3);
        var top = s.Suggest(6, 3);
        Assert.Equal(["horror", "thriller"], top.Select(t => t.Tag));       // comedies have cosine 0: no vote
        Assert.Equal(1f, top[0].Score, 5);                                  // all three neighbours say horror
        Assert.Equal(1f / 3, top[1].Score, 5);
    }

    [Fact]
    public void Behaviour_and_text_mix_by_the_text_weight()
    {
        var s = new TagSuggester(Labels, Text(axisOf6: 0), Behaviour(), neighbours: 3, textWeight: 0.5f);
        Assert.Equal("comedy", s.Suggest(6, 1, 0f)[0].Tag);                 // behaviour alone: the comedies used with it
        var mixed = s.Suggest(6, 4).ToDictionary(t => t.Tag, t => t.Score);
        Assert.Equal(0.5f, mixed["horror"], 5);                             // text: horror 1 × 0.5
        Assert.Equal(0.5f, mixed["comedy"], 5);                             // behaviour: comedy 1 × 0.5
        Assert.True(mixed["romance"] > 0);
        Assert.Equal(1f, mixed.Values.Max() * 2, 5);
    }

    [Fact]
    public void Baseline_and_labels()
    {
        Assert.Equal(["comedy", "horror"], TagSuggester.MostFrequent(Labels, 2));
        var item = new Item { Id = "x", Title = "T", Tags = ["a", "b"], CategoryPath = ["Root", "a"] };
        Assert.Equal(["a", "b", "Root"], TagSuggester.LabelsOf(item));
        Assert.Empty(TagSuggester.WithoutLabels(item).Tags);
        Assert.Empty(TagSuggester.WithoutLabels(item).CategoryPath);
        Assert.Equal("T", TagSuggester.WithoutLabels(item).Title);
    }
}
