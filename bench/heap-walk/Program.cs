// The live objects of 4 MB or more in a running .NET process, each with what holds it (and, for a collection's array, what
// holds the collection): how bench/results/serving-10m-heap.txt was made.
// Usage: dotnet run -c Release --project bench/heap-walk -- PID   (the process is suspended while it is walked: minutes at 10M items)
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

var pid = int.Parse(args[0]);
using var target = DataTarget.AttachToProcess(pid, suspend: true);
// The runtime's own data-access library, beside this tool's runtime (the same .NET the server runs on).
var dac = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
var heap = target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true).Heap;

// Live: reachable from the roots (a heap walk also meets objects the collector has not yet reclaimed).
var live = new HashSet<ulong>();
var stack = new Stack<ulong>();
foreach (var root in heap.EnumerateRoots())
    if (root.Object.Address != 0 && live.Add(root.Object.Address)) stack.Push(root.Object.Address);
while (stack.Count > 0)
{
    var o = heap.GetObject(stack.Pop());
    if (!o.IsValid || o.Type is not { ContainsPointers: true }) continue;
    foreach (var a in o.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
        if (a != 0 && live.Add(a)) stack.Push(a);
}

var big = heap.EnumerateObjects().Where(o => o.IsValid && live.Contains(o.Address) && o.Size >= 4_000_000)
    .ToDictionary(o => o.Address, o => (Type: o.Type?.Name ?? "?", Size: (long)o.Size));
var holders = Holders(big.Keys.ToHashSet());
// A List<T> or Dictionary holding a big array says little: name what holds that collection too.
var collections = holders.Values.SelectMany(h => h).Where(h => h.Type.StartsWith("System.Collections.Generic.")).Select(h => h.Address).ToHashSet();
var collectionHolders = Holders(collections);

Console.WriteLine($"live objects {live.Count:N0}");
foreach (var (address, (type, size)) in big.OrderByDescending(kv => kv.Value.Size))
{
    var held = holders.GetValueOrDefault(address) ?? [];
    var outer = held.SelectMany(h => collectionHolders.GetValueOrDefault(h.Address) ?? []).Select(h => h.Name).Distinct().Take(3);
    Console.WriteLine($"{size / 1e6,9:F1} MB {type,-70} <- {(held.Count == 0 ? "(root)" : string.Join(" | ", held.Select(h => h.Name)))} <<< {string.Join(" | ", outer)}");
}

// For each of the given objects, up to three live objects that hold it: their address, type and field.
Dictionary<ulong, List<(ulong Address, string Type, string Name)>> Holders(HashSet<ulong> of)
{
    var found = new Dictionary<ulong, List<(ulong, string, string)>>();
    foreach (var o in heap.EnumerateObjects())
    {
        if (!o.IsValid || o.Type is not { ContainsPointers: true } type || !live.Contains(o.Address)) continue;
        if (type.IsArray && type.ComponentType?.IsString == true) continue;   // arrays of strings hold no big object
        foreach (var r in o.EnumerateReferencesWithFields(carefully: false, considerDependantHandles: false))
        {
            if (!of.Contains(r.Object.Address)) continue;
            if (!found.TryGetValue(r.Object.Address, out var list)) found[r.Object.Address] = list = [];
            if (list.Count < 3) list.Add((o.Address, type.Name ?? "?", $"{type.Name}.{r.Field?.Name ?? "[]"}"));
        }
    }
    return found;
}
