namespace Merx.Benchmarks;

/// <summary>
/// A whole-system or real-data benchmark run by name from the command line. Each writes its
/// figures, the exact command and the seed to bench/results/.
/// </summary>
public interface IBenchCommand
{
    string Name { get; }
    int Run(string[] args);
}
