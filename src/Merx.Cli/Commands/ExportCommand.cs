using System.CommandLine;
using Merx.Models.Sequential;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx export`: a published Transformer as an ONNX file, to run Merx's model in another stack.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var db = Cli.Db();
        var model = new Option<string>("--model") { Description = "the published model to export (a Transformer: sasrec, sasrec-noside, sasrec-iddrop)", DefaultValueFactory = _ => SasRec.ModelName };
        var onnx = new Option<string>("--onnx") { Description = "the ONNX file to write", Required = true };
        var command = new Command("export", "Write the latest published Transformer as ONNX (opset 17): input 'items' (L) int64, the user's latest known items oldest first (model indices, at most the model's max length); outputs 'user' (D) and 'scores' (1, items). The item ids in model order go beside it, one a line, in OUT.items.txt.")
        {
            db, model, onnx,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"no store at {path} (create one with 'merx import')");
            using var store = MerxStores.Open(path);
            var package = RecommendCommand.LoadLatest(store, parse.GetValue(model));
            if (package.Model is not SasRec sasrec) throw new ArgumentException($"model '{package.Name}' is not a Transformer: only sasrec exports to ONNX");
            var output = parse.GetValue(onnx)!;
            var bytes = sasrec.ToOnnx();
            var temp = output + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, output, overwrite: true);
            File.WriteAllLines(output + ".items.txt", package.Items.Ids);
            Console.WriteLine($"wrote {output}: {package.Name}, {sasrec.ItemCount:N0} items, d {sasrec.Dimension}, {bytes.Length:N0} bytes; item ids in {output}.items.txt");
            return 0;
        }));
        return command;
    }
}
