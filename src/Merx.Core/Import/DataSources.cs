namespace Merx.Core.Import;

/// <summary>Opens a data set folder or file in a named format, or detects the format from the files.</summary>
public static class DataSources
{
    public static readonly string[] Formats = ["amazon", "movielens", "taobao", "csv", "jsonl"];

    public static IDataSource Open(string path, string? format = null, ImportOptions? options = null)
    {
        options ??= ImportOptions.Default;
        var full = Path.GetFullPath(path);
        var isDir = Directory.Exists(full);
        if (!isDir && !File.Exists(full)) throw new FileNotFoundException($"no such file or folder: {path}");
        format ??= Detect(full, isDir);
        return format switch
        {
            "amazon" => OpenAmazon(full, isDir),
            "movielens" => isDir ? MovieLensSource.FromFolder(full) : MovieLensSource.FromRatingsFile(full),
            "taobao" => new TaobaoSource(isDir ? Single(full, "*.csv") : full),
            "csv" or "jsonl" => isDir
                ? GenericSource.FromFolder(full, options)
                : new GenericSource(full, null, null, options),
            _ => throw new ArgumentException($"unknown format '{format}' (expected one of: {string.Join(", ", Formats)})"),
        };
    }

    private static string Detect(string path, bool isDir)
    {
        if (isDir)
        {
            if (File.Exists(Path.Combine(path, "events.csv")) || File.Exists(Path.Combine(path, "items.csv"))) return "csv";
            if (File.Exists(Path.Combine(path, "events.jsonl")) || File.Exists(Path.Combine(path, "items.jsonl"))) return "jsonl";
            if (Directory.GetFiles(path, "ratings*.dat").Length > 0) return "movielens";
            if (Directory.GetFiles(path, "*_item2attributes.json").Length > 0 || Directory.GetFiles(path, "*.txt").Length == 1) return "amazon";
            var csvs = Directory.GetFiles(path, "*.csv");
            if (csvs.Length == 1 && LooksLikeTaobao(csvs[0])) return "taobao";
            throw new ArgumentException($"cannot tell the format of {path}: expected events.csv/events.jsonl (generic), ratings*.dat (MovieLens), " +
                "<name>.txt with <name>_item2attributes.json (Amazon S3-Rec) or one headerless user,item,category,behavior,timestamp CSV (Taobao); pass --format");
        }
        var name = Path.GetFileName(path);
        if (name.EndsWith(".dat", StringComparison.OrdinalIgnoreCase)) return "movielens";
        if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return "amazon";
        if (name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return "jsonl";
        if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return LooksLikeTaobao(path) ? "taobao" : "csv";
        throw new ArgumentException($"cannot tell the format of {path} from its name; pass --format ({string.Join(", ", Formats)})");
    }

    private static IDataSource OpenAmazon(string path, bool isDir)
    {
        var sequences = isDir ? Single(path, "*.txt") : path;
        var stem = Path.GetFileNameWithoutExtension(sequences);
        var attributes = Path.Combine(Path.GetDirectoryName(sequences)!, stem + "_item2attributes.json");
        return new AmazonSource(sequences, File.Exists(attributes) ? attributes : null);
    }

    private static string Single(string dir, string pattern)
    {
        var files = Directory.GetFiles(dir, pattern).Where(f => !Path.GetFileName(f).Equals("SOURCE.md", StringComparison.OrdinalIgnoreCase)).ToArray();
        return files.Length == 1 ? files[0] : throw new ArgumentException($"expected exactly one {pattern} file in {dir}, found {files.Length}; point --data at the file");
    }

    /// <summary>Headerless, five fields, a known behaviour in the fourth.</summary>
    private static bool LooksLikeTaobao(string path)
    {
        using var reader = new StreamReader(path);
        var first = reader.ReadLine();
        var f = first?.Split(',');
        return f is { Length: 5 } && f[3] is "pv" or "cart" or "fav" or "buy";
    }
}
