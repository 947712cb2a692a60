using Merx.Core.Data;

namespace Merx.Core.Tests;

/// <summary>Issue #19: image vectors join text vectors as one side-information row per item.</summary>
public class PretrainedVectorsTests
{
    [Fact]
    public void Join_puts_text_and_image_side_by_side_with_zeros_where_a_part_is_missing()
    {
        var text = PretrainedVectors.FromRows("t", 2, [[1, 2], null, [3, 4], null]);
        var image = PretrainedVectors.FromRows("img", 3, [[5, 6, 7], [8, 9, 10], null, null]);
        var both = PretrainedVectors.Join(text, image)!;
        Assert.Equal("t+img", both.EncoderId);
        Assert.Equal(5, both.Dimension);
        Assert.Equal([1f, 2, 5, 6, 7, 0, 0, 8, 9, 10, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0], both.Values);
        Assert.Equal([true, true, true, false], both.Present);
    }

    [Fact]
    public void Join_leaves_a_single_part_or_an_empty_part_unchanged()
    {
        var text = PretrainedVectors.FromRows("t", 2, [[1, 2], null]);
        var none = PretrainedVectors.FromRows("img", 3, [null, null]);
        Assert.Same(text, PretrainedVectors.Join(text, null));
        Assert.Same(text, PretrainedVectors.Join(text, none));       // no item has an image: the model reads text alone, as before
        Assert.Null(PretrainedVectors.Join(null, null));
        Assert.Throws<ArgumentException>(() => PretrainedVectors.Join(text, PretrainedVectors.FromRows("img", 1, [[1f], [2f], [3f]])));
    }
}
