using System.CommandLine;

var root = new RootCommand("merx — the Merx recommendation engine");
return root.Parse(args).Invoke();
