using System.Text.Json;

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
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected string P(string name) => Path.Combine(_dir, name);

    protected static (int Code, string Out, string Err) Merx(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o); Console.SetError(e);
        try { return (MerxCli.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    protected static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
