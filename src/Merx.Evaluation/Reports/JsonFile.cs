using System.Text.Json;

namespace Merx.Evaluation.Reports;

/// <summary>The one way a report writes its JSON file: folder created, indented, numbers rounded to 6 digits, non-finite ones null.</summary>
public static class JsonFile
{
    public static void Write(string path, Action<Utf8JsonWriter> body)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        body(w);
    }

    /// <summary>"name": v rounded to 6 digits, or null when v is NaN or infinite.</summary>
    public static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, Math.Round(v, 6)); else w.WriteNull(name);
    }
}
