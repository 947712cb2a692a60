using System.Net;
using System.Net.Http.Headers;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Encoders;
using Merx.Service.Catalog;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using static Merx.Tests.Shared.DrawnImages;

namespace Merx.Server.Tests;

/// <summary>
/// Issue #19: an item's image uploaded over HTTP as raw bytes (no URL is fetched), checked on the request path and
/// embedded off it; the stored image vectors join the text vectors as the models' side information. Every image is
/// drawn here with SkiaSharp (no real product image set is reachable).
/// </summary>
[Collection(ShopCollection.Name)]
public sealed class ItemImageApiTests(ShopStore shop)
{
    private const string ReadKey = "read-key-0123456789", WriteKey = "write-key-0123456789";

    private static HttpRequestMessage Put(MerxTestApp app, string item, byte[] bytes, string type = "image/png", string key = WriteKey)
    {
        var m = app.Write(HttpMethod.Put, $"/api/items/{item}/image", key: key);
        m.Content = new ByteArrayContent(bytes);
        m.Content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return m;
    }

    [Fact]
    public async Task An_uploaded_image_gets_its_vector_in_the_background_and_bad_uploads_get_a_clear_status()
    {
        await using var app = await MerxTestApp.StartAsync(shop.Copy("images.db"), o => { o.ApiKey = null; o.ApiKeys = $"read:{ReadKey},write:{WriteKey}"; });
        app.Store.UpsertItems([new Item { Id = "img-1", Title = "Red ball" }, new Item { Id = "img-2", Title = "Blue scarf" }]);
        var red = Draw(SKColors.Red);

        var (status, body) = await app.SendAsync(Put(app, "img-1", red));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var hash = body.GetProperty("image_hash").GetString()!;
        Assert.Equal(CatalogImageEncoding.Hash(red, ImageEncoder.ModelId), hash);
        Assert.Equal(hash, app.Store.ReadItemImages(ImageEncoder.ModelId)["img-1"]);            // linked at once
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!app.Store.ReadItemVectors(ImageEncoder.ModelId).ContainsKey(hash) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var vector = app.Store.ReadItemVectors(ImageEncoder.ModelId)[hash];                     // encoded off the request path
        Assert.Equal(512, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        using (var encoder = ImageEncoder.Load()) Assert.Equal(encoder.Encode(red), vector);     // the same vector as encoding it directly
        Assert.Equal(0, app.App.Services.GetRequiredService<ItemImageVectors>().Pending);

        // Hostile bytes: 400 with the decoder's reason, and the item keeps no new link.
        (byte[] Bytes, string Reason)[] hostile =
        [
            (red[..(red.Length / 2)], "truncated"),
            ("<html>not an image</html>"u8.ToArray(), "not an image in a known format"),
            ([], "empty"),
        ];
        foreach (var (bytes, reason) in hostile)
        {
            var (bad, problem) = await app.SendAsync(Put(app, "img-2", bytes));
            Assert.Equal(HttpStatusCode.BadRequest, bad);
            Assert.Contains(reason, problem.GetProperty("detail").GetString());
        }
        Assert.False(app.Store.ReadItemImages(ImageEncoder.ModelId).ContainsKey("img-2"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await app.SendAsync(Put(app, "img-2", new byte[ImageDecoding.MaxBytes + 1]))).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await app.SendAsync(Put(app, "img-2", red, type: "text/plain"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SendAsync(Put(app, "no-such-item", red))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(Put(app, "img-2", red, key: ReadKey))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/items/img-1/image", key: ReadKey))).Status);
        Assert.False(app.Store.ReadItemImages(ImageEncoder.ModelId).ContainsKey("img-2"));

        // A JPEG of another drawing is accepted too; deleting the image removes the link (the vector stays, by content).
        Assert.Equal(HttpStatusCode.Accepted, (await app.SendAsync(Put(app, "img-2", Draw(SKColors.Blue, stripes: true, format: SKEncodedImageFormat.Jpeg), "image/jpeg"))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/items/img-1/image", key: WriteKey))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SendAsync(app.Write(HttpMethod.Delete, "/api/items/img-1/image", key: WriteKey))).Status);
        Assert.Equal(["img-2"], app.Store.ReadItemImages(ImageEncoder.ModelId).Keys);
        Assert.True(app.Store.ReadItemVectors(ImageEncoder.ModelId).ContainsKey(hash));
    }

    [Fact]
    public void Side_information_joins_stored_image_vectors_and_without_images_is_the_text_vectors_unchanged()
    {
        var dir = Directory.CreateTempSubdirectory("merx-side-");
        try
        {
            using var store = SqliteStore.Open(Path.Combine(dir.FullName, "s.db"));
            Item[] items = [new() { Id = "a", Title = "Red ball" }, new() { Id = "b", Title = "Blue striped scarf" }, new() { Id = "c", Price = 3 }];
            string[] ids = ["a", "b", "c"];
            store.UpsertItems(items);
            using var text = new ItemTextVectors(store);
            var textOnly = text.VectorsFor(items)!;
            var before = ItemSideInformation.ForTraining(text, ids, items)!;                    // no image anywhere: exactly the text vectors
            Assert.Equal(TextEncoder.ModelId, before.EncoderId);
            Assert.Equal(textOnly.Values, before.Values);
            Assert.Equal(textOnly.Present, before.Present);

            // Item c (no text) gets an image: the side information becomes text ⊕ image, zeros where a part is missing.
            using var images = new ItemImageVectors(store);
            Assert.Equal(ItemImageVectors.UploadStatus.Accepted, images.Upload("c", Draw(SKColors.Green)).Status);
            var halfway = ItemSideInformation.ForTraining(text, ids, items)!;                   // linked, not encoded yet: no image vector
            Assert.Equal(TextEncoder.ModelId, halfway.EncoderId);
            Assert.Equal(1, images.Drain());
            var joined = ItemSideInformation.ForTraining(text, ids, items)!;
            Assert.Equal($"{TextEncoder.ModelId}+{ImageEncoder.ModelId}", joined.EncoderId);
            Assert.Equal(384 + 512, joined.Dimension);
            Assert.Equal([true, true, true], joined.Present);
            Assert.Equal(textOnly.Of(0).ToArray(), joined.Of(0)[..384].ToArray());
            Assert.True(joined.Of(0)[384..].ToArray().All(v => v == 0));
            Assert.True(joined.Of(2)[..384].ToArray().All(v => v == 0));
            Assert.Equal(store.ReadItemVectors(ImageEncoder.ModelId).Values.Single(), joined.Of(2)[384..].ToArray());

            // Serving rebuilds the layout a model was trained on, whatever the catalog has now.
            var catalog = new Merx.Ranking.Pipeline.CatalogIndex(ids, items);
            var served = ItemSideInformation.ForModel(store, joined.EncoderId, catalog)!;
            Assert.Equal(joined.Values, served.Values);
            Assert.Equal(textOnly.Values, ItemSideInformation.ForModel(store, TextEncoder.ModelId, catalog)!.Values);
            Assert.True(images.Remove("c"));
            var afterRemoval = ItemSideInformation.ForModel(store, joined.EncoderId, catalog)!;
            Assert.Equal(joined.EncoderId, afterRemoval.EncoderId);
            Assert.False(afterRemoval.Has(2));
            Assert.Null(ItemSideInformation.ForModel(store, "some-other-encoder", catalog));
        }
        finally { dir.Delete(recursive: true); }
    }
}
