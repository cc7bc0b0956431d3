import { describe, expect, it } from 'vitest'
import { readConfig } from '../../env'
import { listModels, routeModel } from './models'

describe('routeModel', () => {
  it('picks the provider by prefix, or as named', () => {
    expect(routeModel('gpt-4.1-mini')).toEqual({ provider: 'openai', model: 'gpt-4.1-mini' })
    expect(routeModel('chatgpt-4o-latest')).toEqual({ provider: 'openai', model: 'chatgpt-4o-latest' })
    for (const model of ['o1', 'o1-mini', 'o3-pro', 'o4-mini'])
      expect(routeModel(model)).toEqual({ provider: 'openai', model })
    expect(routeModel('gemini-2.5-flash')).toEqual({ provider: 'gemini', model: 'gemini-2.5-flash' })
    expect(routeModel('openai/ft:gpt-4o-mini:org:custom:abc')).toEqual({
      provider: 'openai',
      model: 'ft:gpt-4o-mini:org:custom:abc',
    })
    expect(routeModel('gemini/gemma-3-27b-it')).toEqual({ provider: 'gemini', model: 'gemma-3-27b-it' })
  })

  it('knows nothing else, and nothing that could leave the model path', () => {
    for (const model of [
      'claude-3-opus',
      'omni',
      'llama/3',
      'gemini/',
      'gemini/../files',
      'gemini/a/b',
      'gemini-2.5?key=x',
      'gpt 4',
    ]) {
      expect(routeModel(model), model).toBeUndefined()
    }
  })
})

describe('listModels', () => {
  it('lists the configured model of each provider with a key, prefixed when the name would not route', () => {
    const config = readConfig({
      OPENAI_API_KEY: 'sk-x',
      OPENAI_MODEL: 'ft:gpt-4o-mini:acme::1',
      GEMINI_API_KEY: 'g',
      GEMINI_MODEL: 'gemini-2.5-pro',
    })
    expect(listModels(config).map((model) => [model.id, model.owned_by])).toEqual([
      ['openai/ft:gpt-4o-mini:acme::1', 'openai'],
      ['gemini-2.5-pro', 'google'],
    ])
    expect(listModels(readConfig({ GEMINI_API_KEY: 'g' })).map((model) => model.id)).toEqual(['gemini-2.5-flash'])
  })
})
