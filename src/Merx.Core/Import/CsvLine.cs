using System.Text;

namespace Merx.Core.Import;

/// <summary>
/// Splits one CSV line into fields per RFC 4180 (quoted fields, doubled quotes). A quoted field
/// spanning lines is not supported: such a line is reported as malformed.
/// </summary>
public static class CsvLine
{
    /// <summary>Fills <paramref name="fields"/>; false when quotes are unbalanced.</summary>
    public static bool TrySplit(string line, char delimiter, List<string> fields)
    {
        fields.Clear();
        if (line.IndexOf('"') < 0)
        {
            foreach (var f in line.Split(delimiter)) fields.Add(f);
            return true;
        }
        var sb = new StringBuilder();
        var i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) return false;
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    sb.Append(line[i++]);
                }
                if (i < line.Length && line[i] != delimiter) return false;
            }
            else
            {
                while (i < line.Length && line[i] != delimiter)
                {
                    if (line[i] == '"') return false;
                    sb.Append(line[i++]);
                }
            }
            fields.Add(sb.ToString());
            if (i >= line.Length) return true;
            i++; // delimiter
        }
    }

    /// <summary>Quotes a field for writing when it contains the delimiter, a quote or a line break.</summary>
    public static string Escape(string? field, char delimiter = ',')
    {
        if (string.IsNullOrEmpty(field)) return "";
        if (field.IndexOfAny([delimiter, '"', '\n', '\r']) < 0) return field;
        return "\"" + field.Replace("\"", "\"\"") + "\"";
    }
}
