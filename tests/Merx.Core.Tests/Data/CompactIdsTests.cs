using Merx.Core.Data;

namespace Merx.Core.Tests.Data;

public class CompactIdsTests
{
    [Fact]
    public void Utf8Strings_ReturnWhatWasAdded_AcrossPages_NullsAndLongEntriesIncluded()
    {
        var rng = new Random(3);
        var strings = new Utf8Strings(pageBytes: 64);
        var added = new List<string?>();
        for (var i = 0; i < 500; i++)
        {
            string? s = rng.Next(10) switch
            {
                0 => null,
                1 => "",
                2 => "crème brûlée — 日本語 " + i,
                3 => new string('x', 200 + i),             // longer than a page: a page of its own
                _ => "item title " + rng.Next(),
            };
            Assert.Equal(i, strings.Add(s));
            added.Add(s);
        }
        strings.TrimExcess();
        Assert.Equal(added.Count, strings.Count);
        for (var i = 0; i < added.Count; i++)
        {
            Assert.Equal(added[i], strings[i]);
            Assert.Equal(added[i] is null, strings.IsNull(i));
        }
    }

    [Fact]
    public void IdMap_Read_SharesTheCallersStrings_AndStillRejectsDuplicates()
    {
        var written = new IdMap(["a1", "b2", "c3"]);
        var held = new Dictionary<string, string>(StringComparer.Ordinal) { ["b2"] = new string("b2".AsSpan()), ["c3"] = new string("c3".AsSpan()) };
        var read = IdMap.Read(Reader(written), id => held.GetValueOrDefault(id) ?? id);
        Assert.Equal(written.Ids, read.Ids);
        Assert.Same(held["b2"], read[1]);
        Assert.Same(held["c3"], read[2]);
        // Its lookup is built on first use and agrees with the order read.
        Assert.Equal(1, read.IndexOf("b2"));
        Assert.Equal(-1, read.IndexOf("zz"));
        Assert.Equal(3, read.GetOrAdd("d4"));
        Assert.Equal(3, read.IndexOf("d4"));

        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) { w.Write(2); w.Write("x"); w.Write("x"); }
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => IdMap.Read(new BinaryReader(stream)));
    }

    [Fact]
    public void IdMap_ReadLookup_IsBuiltOnceUnderConcurrentReads()
    {
        var written = new IdMap(Enumerable.Range(0, 20_000).Select(i => "i" + i));
        var read = IdMap.Read(Reader(written));
        var wrong = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i += 7)
                if (read.IndexOf("i" + i) != i) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    private static BinaryReader Reader(IdMap map)
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) map.Write(w);
        stream.Position = 0;
        return new BinaryReader(stream);
    }
}
