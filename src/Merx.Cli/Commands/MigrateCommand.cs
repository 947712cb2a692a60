using System.CommandLine;
using Merx.Storage;
using Merx.Storage.Postgres;

namespace Merx.Cli.Commands;

/// <summary>`merx migrate`: moves a whole shop from a SQLite store into an empty PostgreSQL database (<see cref="SqliteToPostgres"/>).</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "the SQLite store file to move", Required = true };
        var to = new Option<string>("--to") { Description = "the PostgreSQL store: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (created when missing; must hold no Merx data)", Required = true };
        var command = new Command("migrate", "Move a whole shop from a SQLite store into PostgreSQL: events, catalog, users, models, served lists, feedback, experiments, settings and the import log, keys and sequence numbers as they are. Everything is written in one transaction and each table's row count is checked against the source before it commits: on any failure the target is left as it was. The pseudonymization key is not in the store: serve the PostgreSQL store with the same MERX_PSEUDONYM_KEY.")
        {
            from, to,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var source = parse.GetValue(from)!;
            if (MerxStores.Locate(source) is not SqliteLocation file) throw new ArgumentException("--from must be a SQLite store file");
            if (!File.Exists(file.Path)) throw new FileNotFoundException($"no store at {file.Path}");
            if (MerxStores.Locate(parse.GetValue(to)!) is not PostgresLocation target) throw new ArgumentException("--to must be postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE");
            var result = SqliteToPostgres.Migrate(file.Path, target, Cli.Progress);
            Console.WriteLine($"migrated {file.Path} to {target} in {result.Elapsed.TotalSeconds:F1} s; rows checked: " +
                              string.Join(", ", result.Tables.Select(t => $"{t.Table} {t.Rows:N0}")));
            return 0;
        }));
        return command;
    }
}
