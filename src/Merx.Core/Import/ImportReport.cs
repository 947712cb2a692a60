using System.Text;

namespace Merx.Core.Import;

/// <summary>One rejected line: where it was and why.</summary>
public sealed record ImportProblem(string File, long Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}";
}

/// <summary>Thrown in strict mode at the first bad line; the import stores nothing.</summary>
public sealed class ImportException(ImportProblem problem)
    : Exception($"import aborted (strict mode) at {problem}")
{
    public ImportProblem Problem { get; } = problem;
}

/// <summary>
/// What an import read, accepted and rejected. Every skipped line is counted; the first
/// <see cref="ImportOptions.MaxReportedProblems"/> are kept with file, line number and reason.
/// </summary>
public sealed class ImportReport(ImportOptions? options = null)
{
    private readonly List<ImportProblem> _problems = [];

    public ImportOptions Options { get; } = options ?? ImportOptions.Default;
    public long LinesRead { get; private set; }
    public long EventsAccepted { get; private set; }
    public long ItemsAccepted { get; private set; }
    public long UsersAccepted { get; private set; }
    public long SkippedLines { get; private set; }
    public IReadOnlyList<ImportProblem> Problems => _problems;

    public void CountLine() => LinesRead++;
    public void CountEvent() => EventsAccepted++;
    public void CountItem() => ItemsAccepted++;
    public void CountUser() => UsersAccepted++;

    /// <summary>Records a rejected line; in strict mode throws <see cref="ImportException"/> instead.</summary>
    public void Skip(string file, long line, string reason)
    {
        var problem = new ImportProblem(Path.GetFileName(file), line, reason);
        if (Options.Strict) throw new ImportException(problem);
        SkippedLines++;
        if (_problems.Count < Options.MaxReportedProblems) _problems.Add(problem);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"read {LinesRead:N0} lines: {EventsAccepted:N0} events, {ItemsAccepted:N0} items, {UsersAccepted:N0} users accepted; {SkippedLines:N0} lines skipped");
        foreach (var p in _problems) sb.Append("\n  skipped ").Append(p);
        if (SkippedLines > _problems.Count) sb.Append($"\n  … and {SkippedLines - _problems.Count:N0} more");
        return sb.ToString();
    }
}
