using System.Text.Json;
using Merx.Privacy.Pseudonymization;

namespace Merx.Cli.Tests;

/// <summary>
/// A temporary folder per test class and `merx` run in-process with its console captured (the CLI
/// tests run one at a time: see AssemblyInfo.cs).
/// </summary>
public abstract class CliTestBase : IDisposable
{
    private readonly string _dir;

    protected CliTestBase(string prefix) => _dir = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        Cleanup();
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>What a test class must undo beyond its folder (a database it created).</summary>
    protected virtual void Cleanup() { }

    protected string P(string name) => Path.Combine(_dir, name);

    /// <summary>True when the file's bytes hold <paramref name="text"/> (UTF-8); false for a missing file.</summary>
    protected static bool FileHolds(string path, string text) =>
        File.Exists(path) && File.ReadAllBytes(path).AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>Whether a store file or its write-ahead log still holds <paramref name="text"/>.</summary>
    protected static bool StoreHolds(string db, string text) => FileHolds(db, text) || FileHolds(db + "-wal", text);

    protected static (int Code, string Out, string Err) Merx(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (MerxCli.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>The pseudonym the store keeps for the shop's user <paramref name="id"/> under <paramref name="key"/> (<c>[vN:]secret</c>).</summary>
    protected static string Pseudonym(string key, string id)
    {
        using var p = new Pseudonymizer(PseudonymKey.Parse(key));
        return p.Pseudonymize(id);
    }

    protected static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
