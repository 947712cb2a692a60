using System.CommandLine;
using Merx.Cli.Commands;

var root = new RootCommand("merx — a recommendation engine for online shops. Run 'merx demo' to see it work, 'merx <command> --help' for details.")
{
    GenerateCommand.Create(),
    ImportCommand.Create(),
    StatsCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    RecommendCommand.Create(),
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
