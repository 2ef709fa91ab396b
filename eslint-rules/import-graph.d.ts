/** Types of import-graph.js (the project's module graph; see there). */
export declare const SOURCE: RegExp;
export declare function walk(dir: string, out?: string[]): string[];
export declare function runtimeImports(text: string): string[];
export declare function specifierPath(from: string, spec: string, root: string): string | undefined;
export declare function sourceFile(path: string): string | undefined;
export declare function resolveImport(from: string, spec: string): string | undefined;
export declare function importedFiles(file: string, text: string): string[];
export declare function findCycles(graph: Map<string, string[]>): string[][];
export declare function pathBack(start: string, target: string, depsOf: (file: string) => string[]): string[] | undefined;
export declare function diskImports(file: string): string[];
