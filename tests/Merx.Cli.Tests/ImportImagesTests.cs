using Merx.Encoders;
using Merx.Storage.Sqlite;
using SkiaSharp;
using static Merx.Tests.Shared.DrawnImages;

namespace Merx.Cli.Tests;

/// <summary>
/// Issue #19: `merx import` reads an items file's image column (a path relative to the data folder), encodes each
/// distinct image once and links the items to it; a missing, truncated or out-of-folder image is reported for its
/// item and the import goes on (with --strict it stops before anything is stored). Images are drawn by the test.
/// </summary>
public sealed class ImportImagesTests() : CliTestBase("merx-img-")
{
    private void Shop(string dir)
    {
        Directory.CreateDirectory(P($"{dir}/pics"));
        var red = Draw(SKColors.Red);
        File.WriteAllBytes(P($"{dir}/pics/a.png"), red);
        File.WriteAllBytes(P($"{dir}/pics/b.png"), red);                                   // the same picture: encoded once
        File.WriteAllBytes(P($"{dir}/pics/c.png"), red[..(red.Length * 2 / 3)]);           // truncated
        File.WriteAllBytes(P($"{dir}/pics/g.jpg"), Draw(SKColors.Blue, stripes: true, format: SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(P("outside.png"), red);
        File.WriteAllText(P($"{dir}/items.csv"),
            "id,title,image\n" +
            "a,Red ball,pics/a.png\n" +
            "b,Red ball (twin),pics/b.png\n" +
            "c,Broken picture,pics/c.png\n" +
            "d,Missing picture,pics/d.png\n" +
            "e,Picture outside,../outside.png\n" +
            "f,No picture,\n" +
            "g,Blue stripes,pics/g.jpg\n");
        File.WriteAllText(P($"{dir}/events.csv"), "user,item,kind,timestamp\nu1,a,view,100\nu1,c,view,101\nu2,g,purchase,102\n");
    }

    [Fact]
    public void Import_encodes_the_good_images_reports_each_bad_one_and_does_not_stop()
    {
        Shop("shop");
        var (code, output, err) = Merx("import", "--data", P("shop"), "--db", P("m.db"));
        Assert.True(code == 0, err);
        Assert.Contains("3 events, 7 items", output);
        Assert.Contains("images: 6 named, 2 distinct, 2 encoded, 0 already stored, 3 refused", output);
        Assert.Contains("3 items linked to their image", output);
        Assert.Contains("skipped image of item 'c' (items.csv:4, pics/c.png): the image is truncated", output);
        Assert.Contains("skipped image of item 'd' (items.csv:5, pics/d.png): image file 'pics/d.png' not found", output);
        Assert.Contains("skipped image of item 'e' (items.csv:6, ../outside.png): image '../outside.png' points outside the data folder", output);
        Assert.Contains("image vectors: 5/5 read, 2 encoded, 2 refused", err);                 // progress on stderr (e was never read)

        using (var store = SqliteStore.Open(P("m.db")))
        {
            var links = store.ReadItemImages(ImageEncoder.ModelId);
            Assert.Equal(["a", "b", "g"], links.Keys.Order());
            Assert.Equal(links["a"], links["b"]);
            Assert.Equal(CatalogImageEncoding.Hash(File.ReadAllBytes(P("shop/pics/a.png")), ImageEncoder.ModelId), links["a"]);
            var vectors = store.ReadItemVectors(ImageEncoder.ModelId);
            Assert.Equal(links.Values.Distinct().Order(), vectors.Keys.Order());
            Assert.Equal("Broken picture", store.GetItem("c")!.Title);                         // the item is imported, without an image
            Assert.Equal(3, store.LoadDataset().Events.Count);
            Assert.Contains("images: 6 named", store.ListImports().Single().Summary);
        }

        // Importing again reuses the stored vectors (each content is encoded once).
        var (again, second, _) = Merx("import", "--data", P("shop"), "--db", P("m.db"));
        Assert.Equal(0, again);
        Assert.Contains("images: 6 named, 2 distinct, 0 encoded, 3 already stored, 3 refused", second);   // a, b and g found their vectors stored
    }

    [Fact]
    public void A_strict_import_with_a_bad_image_stores_nothing_and_says_which()
    {
        Shop("strict");
        var (code, _, err) = Merx("import", "--data", P("strict"), "--db", P("s.db"), "--strict");
        Assert.Equal(1, code);
        Assert.Contains("items.csv:4: image of item 'c' (pics/c.png): the image is truncated", err);
        Assert.False(File.Exists(P("s.db")), "a failed strict import must not even create the store");
    }

    [Fact]
    public void Generate_with_images_names_them_in_the_items_file_and_import_then_train_read_them()
    {
        Assert.Equal(0, Merx("generate", "--users", "40", "--items", "20", "--events", "600", "--seed", "2", "--out", P("gen"), "--images").Code);
        Assert.Contains("\"image\":\"images/", File.ReadLines(P("gen/items.jsonl")).First());
        var (code, output, err) = Merx("import", "--data", P("gen"), "--db", P("g.db"));
        Assert.True(code == 0, err);
        Assert.Contains("images: 20 named", output);
        Assert.Contains("0 refused", output);
        Assert.Contains("20 items linked to their image", output);
        var (trained, trainOut, trainErr) = Merx("train", "--db", P("g.db"), "--models", "text");
        Assert.True(trained == 0, trainErr);
        Assert.Contains("image vectors: 20 of 20 items have one", trainOut + trainErr);
    }
}
