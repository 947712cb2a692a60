using System.Runtime.InteropServices;

namespace Merx.Storage.Sqlite;

/// <summary>
/// fsync for the write-temp-then-rename pattern: the file's bytes must reach the disk before the
/// rename makes it the real file, and the rename itself (a directory entry) must reach the disk
/// before the caller reports success; otherwise a power cut can leave an empty or missing file
/// under the final name. .NET flushes files but cannot open a directory, hence the libc calls.
/// </summary>
internal static partial class FileDurability
{
    public static void FlushFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Makes a rename or delete in <paramref name="directory"/> durable; a no-op on Windows, where NTFS journals renames and a directory cannot be flushed.</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(directory, 0 /* O_RDONLY: enough to fsync a directory on Linux and macOS */);
        if (fd < 0) throw new IOException($"cannot open folder '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"cannot sync folder '{directory}' (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
