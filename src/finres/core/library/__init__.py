"""The regulatory library: framework files, mapping sets, loading and validation."""

from finres.core.library.index import Library, MappingLink, UnknownFrameworkError
from finres.core.library.loader import (
    CONTENT_DIR,
    LibraryError,
    LibraryPathError,
    Problem,
    library_path,
    load_framework_file,
    load_library,
    load_mapping_file,
    load_paths,
)
from finres.core.library.schema import Framework, LocalizedText, MappingSet, RequirementNode

__all__ = [
    "CONTENT_DIR",
    "Framework",
    "Library",
    "LibraryError",
    "LibraryPathError",
    "LocalizedText",
    "MappingLink",
    "MappingSet",
    "Problem",
    "RequirementNode",
    "UnknownFrameworkError",
    "library_path",
    "load_framework_file",
    "load_library",
    "load_mapping_file",
    "load_paths",
]
