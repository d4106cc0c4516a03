// Type declaration for @alexaltea/capstone-js, which ships none: a factory resolving to the module.
declare module '@alexaltea/capstone-js' {
  const factory: () => Promise<unknown>;
  export default factory;
}
