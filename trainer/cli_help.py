"""--help texts of the trainer's arguments (no torch): what each folder must be and gets."""

ALBUMS = ("a folder with one sub-folder of photos per label (a person, a place, a subject...); "
          "photos in folders inside an album count for that album; hidden folders, the "
          "thumbnail and recycle folders of NAS systems (@eaDir, #recycle), all but the "
          "originals of a photo app's library (Photos, iPhoto, Aperture) and photos lying "
          "directly in ALBUMS are left out (`inspect ALBUMS` shows what is read)")
RUN_MODEL_DIR = ("the folder the model goes to (model.onnx + model.json; with several --bits "
                 "one MODEL_DIR/<bits>bit/ each), outside ALBUMS; the training files stay in "
                 "MODEL_DIR/training, where the same command run again goes on from a stop. A "
                 "file there of a name the trainer writes, which it did not write, is never "
                 "replaced: the command is refused")
EXPORT_MODEL_DIR = ("the folder model.onnx and model.json go to (replacing a model exported "
                    "there before; a file of those names that is not a Lookalike model is "
                    "never replaced: the command is refused)")
NEW_RUN_DIR = ("the run folder to make or to reuse (manifest.json, config.toml; the later steps "
               "add their files), outside ALBUMS")
RUN_DIR = "a run folder made by `prepare` (or the MODEL_DIR/training folder of `run`)"
EVALUATE_BITS = "the code length to evaluate, one of those the run trained"
EXPORT_BITS = "the code length to export, one of those the run trained"
DEVICE = ("auto (default: a CUDA GPU when there is one that works, else the CPU), cpu, cuda, "
          "cuda:N or mps (Apple silicon)")
STOPPING = ("Ctrl-C stops a command (exit code 130); the same command run again goes on from "
            "the photos read, the features extracted and the training checkpoint saved "
            "before the stop.")
ESTIMATE_OUT = ("the MODEL_DIR the run would go to: a run there that would resume is measured as "
                "it would go on (no photo read again, the training steps of its checkpoint "
                "counted as done), and albums prepared there, unchanged since, count only the "
                "photos found readable then (without it: every photo file found). With a "
                "frozen backbone, features this computer's cache holds count as done, whichever "
                "run extracted them (fine-tuning extracts every one again)")
READ_SECONDS = ("how long reading the albums took (the app's Look inside measures it); default: "
                "the probe's reading of a few photos, scaled to all of them")
