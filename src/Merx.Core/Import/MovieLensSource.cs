using System.Globalization;
using System.Text;
using Merx.Core.Domain;

namespace Merx.Core.Import;

/// <summary>
/// MovieLens 1M: <c>ratings.dat</c> (<c>UserID::MovieID::Rating::Timestamp</c>, or without the
/// timestamp, in which case an event's timestamp is its line's ordinal so file order is kept),
/// <c>movies.dat</c> in Latin-1 (<c>MovieID::Title (Year)::Genre|Genre</c>: title, first genre as
/// category, all genres as tags, year as an attribute) and <c>users.dat</c>
/// (<c>UserID::Gender::Age::Occupation::Zip</c>; the zip code is dropped as quasi-identifying).
/// Events are <see cref="EventKind.Rating"/> with the rating (0.5 … 10) as value.
/// </summary>
public sealed class MovieLensSource(string ratingsPath, string? moviesPath, string? usersPath) : IDataSource
{
    private static readonly Encoding Latin1 = Encoding.Latin1;

    public string Format => "movielens";
    public IReadOnlyList<string> Files => new[] { ratingsPath, moviesPath, usersPath }.OfType<string>().ToArray();

    /// <summary>
    /// The files of a MovieLens folder: <c>ratings.dat</c> when present; otherwise the
    /// <c>ratings*.dat</c> file with the most lines (the complete one when a folder also holds a
    /// subset, as the shared ML-1M copy does); point <c>--data</c> at one .dat file to choose.
    /// </summary>
    public static MovieLensSource FromFolder(string dir)
    {
        var ratings = Path.Combine(dir, "ratings.dat");
        if (!File.Exists(ratings))
        {
            var candidates = Directory.GetFiles(dir, "ratings*.dat");
            if (candidates.Length == 0) throw new FileNotFoundException($"no ratings*.dat in {dir}");
            ratings = candidates.OrderByDescending(CountLines).ThenBy(p => p, StringComparer.Ordinal).First();
        }
        return FromRatingsFile(ratings);
    }

    /// <summary>A ratings file, with the movies.dat and users.dat beside it when present.</summary>
    public static MovieLensSource FromRatingsFile(string ratings)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(ratings))!;
        string? Beside(string name) => File.Exists(Path.Combine(dir, name)) ? Path.Combine(dir, name) : null;
        return new MovieLensSource(ratings, Beside("movies.dat"), Beside("users.dat"));
    }

    public IEnumerable<Item> ReadItems(ImportReport report)
    {
        if (moviesPath is null) yield break;
        foreach (var (number, line) in LineFile.Read(moviesPath, report, Latin1))
        {
            var f = line.Split("::");
            if (f.Length != 3) { report.Skip(moviesPath, number, $"expected MovieID::Title::Genres, found {f.Length} fields"); continue; }
            if (FieldRules.CheckId(f[0], "movie") is { } bad) { report.Skip(moviesPath, number, bad); continue; }
            var genres = f[2].Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var title = f[1].Trim();
            var attributes = new Dictionary<string, string>();
            if (title.Length >= 6 && title[^1] == ')' && title[^6] == '(' && int.TryParse(title.AsSpan(title.Length - 5, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year))
                attributes["year"] = year.ToString(CultureInfo.InvariantCulture);
            report.CountItem();
            yield return new Item
            {
                Id = f[0].Trim(),
                Title = title,
                CategoryPath = genres.Length > 0 ? [genres[0]] : [],
                Tags = genres,
                Attributes = attributes,
            };
        }
    }

    public IEnumerable<UserProfile> ReadUsers(ImportReport report)
    {
        if (usersPath is null) yield break;
        foreach (var (number, line) in LineFile.Read(usersPath, report, Latin1))
        {
            var f = line.Split("::");
            if (f.Length != 5) { report.Skip(usersPath, number, $"expected UserID::Gender::Age::Occupation::Zip, found {f.Length} fields"); continue; }
            if (FieldRules.CheckId(f[0], "user") is { } bad) { report.Skip(usersPath, number, bad); continue; }
            report.CountUser();
            yield return new UserProfile
            {
                Id = f[0].Trim(),
                Attributes = new Dictionary<string, string> { ["gender"] = f[1].Trim(), ["age"] = f[2].Trim(), ["occupation"] = f[3].Trim() },
            };
        }
    }

    public IEnumerable<RawEvent> ReadEvents(ImportReport report)
    {
        foreach (var (number, line) in LineFile.Read(ratingsPath, report, Latin1))
        {
            var f = line.Split("::");
            if (f.Length is not (3 or 4)) { report.Skip(ratingsPath, number, $"expected UserID::MovieID::Rating[::Timestamp], found {f.Length} fields"); continue; }
            var bad = FieldRules.CheckId(f[0], "user") ?? FieldRules.CheckId(f[1], "movie");
            if (bad is not null) { report.Skip(ratingsPath, number, bad); continue; }
            if (!float.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var rating) || !(rating >= 0.5f && rating <= 10f))
            {
                report.Skip(ratingsPath, number, $"rating '{FieldRules.Clip(f[2])}' is not a number in 0.5 … 10");
                continue;
            }
            long ts = number;
            if (f.Length == 4 && FieldRules.ParseTimestamp(f[3], out ts) is { } badTime) { report.Skip(ratingsPath, number, badTime); continue; }
            report.CountEvent();
            yield return new RawEvent(f[0].Trim(), f[1].Trim(), EventKind.Rating, ts, rating);
        }
    }

    private static long CountLines(string path)
    {
        using var reader = new StreamReader(path, Latin1);
        long n = 0;
        while (reader.ReadLine() is not null) n++;
        return n;
    }
}
