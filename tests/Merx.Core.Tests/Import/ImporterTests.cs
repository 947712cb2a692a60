using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Import;

namespace Merx.Core.Tests.Import;

public sealed class ImporterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text, System.Text.Encoding? encoding = null)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, encoding ?? new System.Text.UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Amazon_ReadsSequencesAndAttributes_SkipsBadLines()
    {
        Write("Toy.txt", "1 10 11 12\n2 11\nbad\n3 12 13\n");
        Write("Toy_item2attributes.json", "{\"10\": [1, 2], \"11\": [2], \"12\": \"oops\"}");
        var report = new ImportReport();
        var data = DatasetLoader.Load(DataSources.Open(_dir), report);
        Assert.Equal(3, data.UserCount);
        Assert.Equal(6, data.Events.Count);
        Assert.Equal(2, report.SkippedLines);
        Assert.Contains(report.Problems, p => p.File == "Toy.txt" && p.Line == 3);
        Assert.Contains(report.Problems, p => p.File == "Toy_item2attributes.json" && p.Reason.Contains("not an array"));
        Assert.Equal(["a1", "a2"], data.Catalog[data.Items.IndexOf("10")]!.Tags);
        Assert.Equal([0L, 1, 2], data.Sequences.TimestampsOf(0).ToArray());
        Assert.All(data.Events.Kind, k => Assert.Equal(EventKind.Purchase, k));
    }

    [Fact]
    public void MovieLens_ReadsLatin1Movies_WithAndWithoutTimestamps()
    {
        Write("movies.dat", "1::Les Misérables (1995)::Drama|War\n2::Toy Story (1995)::Animation|Children's\n", System.Text.Encoding.Latin1);
        Write("users.dat", "1::F::1::10::48067\n");
        Write("ratings.dat", "1::1::5::978300760\n1::2::3\n1::2::11::978300761\n1::x::\n");
        var report = new ImportReport();
        var data = DatasetLoader.Load(DataSources.Open(_dir), report);
        Assert.Equal("Les Misérables (1995)", data.Catalog[0]!.Title);
        Assert.Equal(["Drama"], data.Catalog[0]!.CategoryPath);
        Assert.Equal("1995", data.Catalog[0]!.Attributes["year"]);
        Assert.Equal(2, data.Events.Count);
        Assert.Equal(2, report.SkippedLines);
        Assert.Contains(report.Problems, p => p.Line == 3 && p.Reason.Contains("0.5 … 10"));
        Assert.False(data.Profiles[0]!.Attributes.ContainsKey("zip"));
        Assert.Equal(5f, data.Events.Value[0]);
    }

    [Fact]
    public void Taobao_MapsBehaviours_AndItemsFromEvents()
    {
        var path = Write("ub.csv", "1,100,7,pv,1511544070\n1,100,7,cart,1511544080\n1,101,8,buy,1511544090\n2,100,7,fav,1511544000\n2,100,7,click,1\n3,1,1,pv,-5\n");
        var report = new ImportReport();
        var data = DatasetLoader.Load(DataSources.Open(path), report);
        var byKind = data.Events.CountByKind();
        Assert.Equal(1, byKind[(int)EventKind.View]);
        Assert.Equal(1, byKind[(int)EventKind.AddToCart]);
        Assert.Equal(1, byKind[(int)EventKind.Purchase]);
        Assert.Equal(1, byKind[(int)EventKind.Favorite]);
        Assert.Equal(2, report.SkippedLines);
        Assert.Equal(["8"], data.Catalog[data.Items.IndexOf("101")]!.CategoryPath);
    }

    [Fact]
    public void GenericCsv_ParsesQuotesIsoAndMillis_AndMapsColumns()
    {
        Write("events.csv", "customer,sku,what,when,value,session\n" +
            "\"u,1\",i1,view,2024-01-02T03:04:05Z,,s1\n" +
            "u2,i2,purchase,1704164645000,9.5,\n" +
            "u2,i2,teleport,1704164645,,\n" +
            "u3,\"bad\"quote,view,1,,\n" +
            "u3,i3,view,1\n");
        Write("items.jsonl", "{\"id\":\"i1\",\"title\":\"Red shoe\",\"category\":\"Shoes > Running\",\"price\":19.5,\"tags\":[\"red\"],\"attributes\":{\"size\":\"42\"},\"in_stock\":false}\n{\"id\":\"i2\",\"price\":-1}\nnot json\n");
        var options = new ImportOptions { ColumnMapping = ImportOptions.ParseMapping("user=customer,item=sku,kind=what,timestamp=when") };
        var report = new ImportReport(options);
        var data = DatasetLoader.Load(DataSources.Open(_dir, null, options), report);
        Assert.Equal(2, data.Events.Count);
        Assert.Equal("u,1", data.Users[0]);
        Assert.Equal(1704164645L, data.Events.Timestamp[0]);
        Assert.Equal(1704164645L, data.Events.Timestamp[1]);
        Assert.Equal(5, report.SkippedLines);
        var shoe = data.Catalog[data.Items.IndexOf("i1")]!;
        Assert.Equal(["Shoes", "Running"], shoe.CategoryPath);
        Assert.False(shoe.InStock);
        Assert.Equal("42", shoe.Attributes["size"]);
        Assert.Contains(report.Problems, p => p.File == "events.csv" && p.Line == 4 && p.Reason.Contains("teleport"));
    }

    [Fact]
    public void GenericJsonl_Events_AndSearchWithoutItem()
    {
        var path = Write("events.jsonl", "{\"user\":\"a\",\"item\":\"x\",\"kind\":\"add_to_cart\",\"timestamp\":5}\n{\"user\":\"a\",\"kind\":\"search\",\"query\":\"red shoes\",\"timestamp\":6}\n{\"user\":\"\",\"item\":\"x\",\"kind\":\"view\",\"timestamp\":5}\n");
        var report = new ImportReport();
        var events = DataSources.Open(path).ReadEvents(report).ToList();
        Assert.Equal(2, events.Count);
        Assert.Null(events[1].Item);
        Assert.Equal("red shoes", events[1].Query);
        Assert.Single(report.Problems, p => p.Line == 3 && p.Reason.Contains("empty user"));
    }

    [Fact]
    public void Strict_ThrowsAtFirstBadLine_WithFileAndLine()
    {
        var path = Write("events.csv", "user,item,kind,timestamp\nu,i,view,1\nu,i,view,notatime\n");
        var options = new ImportOptions { Strict = true };
        var ex = Assert.Throws<ImportException>(() => DataSources.Open(path, "csv", options).ReadEvents(new ImportReport(options)).ToList());
        Assert.Equal(3, ex.Problem.Line);
        Assert.Contains("events.csv:3", ex.Message);
    }

    [Fact]
    public void Detection_FailsClearly_OnAnUnknownFolder()
    {
        Write("notes.md", "hello");
        var ex = Assert.Throws<ArgumentException>(() => DataSources.Open(_dir));
        Assert.Contains("--format", ex.Message);
    }

    [Fact]
    public void Stats_CountActiveUsersAndItems_AndAllKinds()
    {
        Write("events.csv", "user,item,kind,timestamp\na,x,view,1\na,y,purchase,2\nb,x,view,3\n");
        Write("items.csv", "id,title,tags\nx,X,t1|t2\ny,Y,\nz,never bought,\n");
        var data = DatasetLoader.Load(_dir);
        var stats = DatasetStats.Compute(data, 4);
        Assert.Equal((2L, 2L, 3L, 3L), (stats.Users, stats.Items, stats.CatalogItems, stats.Events));
        var json = stats.ToJson();
        Assert.Contains("\"impression\": 0", json);
        Assert.Contains("\"skipped_lines\": 4", json);
        Assert.Equal(["t1", "t2"], data.Catalog[data.Items.IndexOf("x")]!.Tags);
    }

    [Fact]
    public void Generic_items_name_their_image_relative_to_the_data_folder_and_other_paths_are_refused()
    {
        // Issue #19: the image column is a file inside the data folder; the import never fetches a URL.
        Write("items.jsonl",
            "{\"id\": \"a\", \"image\": \"pics/a.png\"}\n" +
            "{\"id\": \"b\"}\n" +
            "{\"id\": \"\", \"image\": \"pics/bad-line.png\"}\n" +                // a bad line: no image either
            "{\"id\": \"c\", \"image\": \"https://cdn.example.com/c.png\"}\n" +
            "{\"id\": \"d\", \"image\": \"/etc/passwd\"}\n" +
            "{\"id\": \"e\", \"image\": \"pics/../../e.png\"}\n" +
            "{\"id\": \"f\", \"picture\": \"pics/f.png\"}\n");
        Write("events.csv", "user,item,kind,timestamp\nu1,a,view,1\n");
        var source = (IItemImageSource)DataSources.Open(_dir);
        var images = source.ReadItemImages().ToList();
        Assert.Equal(["a", "c", "d", "e"], images.Select(i => i.ItemId));
        Assert.Equal(Path.Combine(_dir, "pics", "a.png"), images[0].Path);
        Assert.Equal(("items.jsonl", 1L), (images[0].File, images[0].Line));
        Assert.Null(images[0].Problem);
        Assert.Contains("is a URL", images[1].Problem);
        Assert.Contains("is an absolute path", images[2].Problem);
        Assert.Contains("points outside the data folder", images[3].Problem);
        Assert.All(images.Skip(1), i => Assert.Null(i.Path));
        // Another column name through the mapping.
        var mapped = (IItemImageSource)DataSources.Open(_dir, options: new ImportOptions { ColumnMapping = new Dictionary<string, string> { ["image"] = "picture" } });
        Assert.Equal(["f"], mapped.ReadItemImages().Select(i => i.ItemId));
    }
}
