using System.Reflection;
using BenchmarkDotNet.Running;
using Merx.Benchmarks;

// `dotnet run -c Release --project bench/Merx.Benchmarks -- <name> [args]` runs one real-data or
// whole-system benchmark (a class implementing IBenchCommand); anything else goes to
// BenchmarkDotNet's switcher for the micro-benchmarks.
var commands = typeof(IBenchCommand).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchCommand).IsAssignableFrom(t))
    .Select(t => (IBenchCommand)Activator.CreateInstance(t)!)
    .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

if (args.Length > 0 && commands.TryGetValue(args[0], out var command))
    return command.Run(args[1..]);
if (args.Length > 0 && args[0] is "list" or "--help")
{
    Console.WriteLine("bench commands: " + string.Join(", ", commands.Keys.Order()));
    Console.WriteLine("micro-benchmarks: pass BenchmarkDotNet arguments, e.g. --filter '*Gemm*'");
    return 0;
}
BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
return 0;
