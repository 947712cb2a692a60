using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
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

    /// <summary>
    /// Starts the built CLI (`dotnet merx.dll ARGS`, from this test's output folder) as a real child process;
    /// <paramref name="environment"/> sets variables (a null value removes one). Its output is collected into
    /// <paramref name="output"/> as it comes, so a process killed mid-way never blocks on a full pipe.
    /// </summary>
    protected static Process StartMerx(IReadOnlyDictionary<string, string?> environment, StringBuilder output, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "merx.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        var process = Process.Start(start)!;
        void Collect(object _, DataReceivedEventArgs e) { if (e.Data is not null) lock (output) output.AppendLine(e.Data); }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs the built CLI as a child process to the end (see <see cref="StartMerx"/>); its exit code and output.</summary>
    protected static (int Code, string Output) RunMerxProcess(IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args)
    {
        var output = new StringBuilder();
        using var process = StartMerx(environment, output, args);
        if (!process.WaitForExit(timeout)) { process.Kill(entireProcessTree: true); throw new TimeoutException($"merx {args[0]} did not finish within {timeout.TotalMinutes:N0} minutes"); }
        process.WaitForExit();  // the output handlers have run
        lock (output) return (process.ExitCode, output.ToString());
    }

    protected static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <summary>A loopback port free now (for a server a test starts).</summary>
    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
