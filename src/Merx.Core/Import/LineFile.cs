using System.Text;

namespace Merx.Core.Import;

/// <summary>Streams a text file's lines with 1-based line numbers, counting each in the report.</summary>
internal static class LineFile
{
    public static IEnumerable<(long Number, string Text)> Read(string path, ImportReport report, Encoding? encoding = null)
    {
        using var reader = new StreamReader(path, encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0 || line.AsSpan().IsWhiteSpace()) continue;
            report.CountLine();
            yield return (number, line);
        }
    }
}
