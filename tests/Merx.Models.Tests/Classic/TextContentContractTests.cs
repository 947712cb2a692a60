using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

/// <summary>The text content model (issue #19) on <see cref="TwoBlockData"/> with text vectors that separate the blocks, as a sentence encoder separates "rose face serum" from "steel hammer drill".</summary>
public sealed class TextContentContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new TextContent();

    protected override TrainingData Prepare(TrainingData data) => new(data.Train, data.Catalog, data.Validation) { Text = BlockVectors() };

    /// <summary>Item i: axis 0 (block A) or 1 (block B) plus a small item-specific part, unit length.</summary>
    public static PretrainedVectors BlockVectors()
    {
        var rows = new float[]?[TwoBlockData.Items];
        for (var i = 0; i < rows.Length; i++)
        {
            var v = new float[5];
            v[TwoBlockData.InA(i) ? 0 : 1] = 1;
            v[2 + i % 3] = 0.2f + 0.01f * i;
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            rows[i] = v.Select(x => x / norm).ToArray();
        }
        return PretrainedVectors.FromRows("test-blocks", 5, rows);
    }
}

public sealed class TextContentTests
{
    [Fact]
    public void Scores_are_recency_weighted_dot_products_and_data_without_text_is_refused()
    {
        var (data, _) = TwoBlockData.Create();
        var model = new TextContent(recencyDecay: 0.5f);
        var e = Assert.Throws<ArgumentException>(() => model.Fit(data, FitOptions.Default));
        Assert.Contains("text vectors", e.Message);
        var text = TextContentContractTests.BlockVectors();
        model.Fit(new TrainingData(data.Train, data.Catalog, data.Validation) { Text = text }, FitOptions.Default);
        var scores = new float[TwoBlockData.Items];
        model.Score(-1, [2, 9], scores);                                    // 9 is newest (weight 1), 2 older (0.5)
        for (var j = 0; j < scores.Length; j++)
        {
            double expected = 0;
            for (var k = 0; k < 5; k++) expected += (0.5 * text.Of(2)[k] + text.Of(9)[k]) * text.Of(j)[k];
            Assert.Equal(expected, scores[j], 5);
        }
        var absent = new TrainingData(data.Train, data.Catalog, data.Validation) { Text = PretrainedVectors.FromRows("x", 5, new float[]?[TwoBlockData.Items]) };
        Assert.Contains("no item", Assert.Throws<ArgumentException>(() => new TextContent().Fit(absent, FitOptions.Default)).Message);
    }
}
