#!/usr/bin/env node
import { main } from "../dist/netc.mjs";

await main(process.argv);
