// The seed's C# producer, adapted to Linux: puts one BMP file at offset 0 of the shared
// memory block NAME (raw mode). Usage: mono RawWriter.exe NAME FILE.bmp
//
// On Mono/Linux, MemoryMappedFile.CreateOrOpen("test1", ...) succeeds but creates nothing
// another process can open, so the block is the tmpfs file /dev/shm/NAME, mapped with
// MemoryMappedFile.CreateFromFile: byte for byte what the seed writes on Windows.
using System;
using System.IO;
using System.IO.MemoryMappedFiles;

class RawWriter
{
    static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: RawWriter NAME FILE.bmp");
            return 2;
        }
        string path = "/dev/shm/" + args[0];
        byte[] bmp = File.ReadAllBytes(args[1]);
        using (var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            // Mono refuses a capacity beyond the file's length: grow it first (never shrink).
            if (fs.Length < bmp.Length)
                fs.SetLength(bmp.Length);
            long capacity = fs.Length;
            using (var mmf = MemoryMappedFile.CreateFromFile(fs, null, capacity,
                       MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, true))
            using (var view = mmf.CreateViewStream(0, bmp.Length))
            {
                view.Write(bmp, 0, bmp.Length);
                view.Flush();
            }
        }
        Console.WriteLine("wrote " + bmp.Length + " bytes to " + path);
        return 0;
    }
}
