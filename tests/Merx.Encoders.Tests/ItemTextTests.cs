using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Encoders.Tests;

public sealed class ItemTextTests
{
    [Fact]
    public void Text_joins_the_fields_in_a_fixed_order()
    {
        var item = new Item
        {
            Id = "42", Title = "Trail runner", Description = "Light shoe for wet paths", CategoryPath = ["Shoes", "Running"], Brand = "Acme",
            Tags = ["waterproof"], Attributes = new Dictionary<string, string> { ["size"] = "42", ["colour"] = "black" },
        };
        Assert.Equal("Trail runner. Light shoe for wet paths. Category: Shoes > Running. Brand: Acme. Tags: waterproof. colour: black; size: 42.", ItemText.Of(item));
    }

    [Fact]
    public void An_item_without_text_has_no_text_and_no_hash()
    {
        Assert.Null(ItemText.Of(new Item { Id = "x", Price = 3 }));
        // Beauty (S3-Rec) items carry only anonymized attribute ids as tags, Taobao items a category number: not text.
        Assert.Null(ItemText.Of(new Item { Id = "x", Tags = ["1043", "2271"], CategoryPath = ["4756105"] }));
        Assert.Equal("Gloss. Tags: 1043.", ItemText.Of(new Item { Id = "x", Title = "Gloss", Tags = ["1043"] }));
        Assert.Null(ItemText.Hash(new Item { Id = "x" }, "enc"));
    }

    [Fact]
    public void The_hash_follows_the_content_and_the_encoder()
    {
        var a = new Item { Id = "1", Title = "Heat (1995)" };
        Assert.Equal(ItemText.Hash(a, "enc"), ItemText.Hash(a with { Id = "2" }, "enc"));  // the id is not content
        Assert.NotEqual(ItemText.Hash(a, "enc"), ItemText.Hash(a with { Title = "Heat" }, "enc"));
        Assert.NotEqual(ItemText.Hash(a, "enc"), ItemText.Hash(a, "other"));
        Assert.Equal(32, ItemText.Hash(a, "enc")!.Length);
    }
}
